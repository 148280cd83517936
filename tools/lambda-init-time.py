#!/usr/bin/env python3
"""Measures a Lambda binary's init phase and first invocation on this machine.

It plays the Lambda Runtime API (the HTTP interface a `provided.al2023` bootstrap polls):
starts the binary with AWS_LAMBDA_RUNTIME_API pointing at itself, times the moment the
binary first asks for an event (the end of its init phase: settings read, clients built),
hands it one event, times the response, and stops it. Repeated RUNS times; prints the
median and the worst of each.

Usage:
  tools/lambda-init-time.py BINARY EVENT_JSON_FILE [RUNS]   (environment passed through)

This measures process start + init on this machine, not a Firecracker cold start (which
adds the sandbox and the zip download), so compare runs with each other, not with AWS.
"""

import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time


def one_run(binary, event):
    state = {"asked": None, "answered": None, "error": None, "served": False}
    done = threading.Event()

    class Runtime(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if not self.path.endswith("/runtime/invocation/next"):
                self.send_error(404)
                return
            if state["served"]:
                done.wait(30)  # the second poll waits until the run is over
                try:
                    self.send_error(410)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the binary was stopped first
                return
            state["asked"] = time.monotonic()
            state["served"] = True
            body = event.encode()
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", "init-time-1")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30_000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                             "arn:aws:lambda:us-east-1:000000000000:function:init-time")
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            payload = self.rfile.read(length)
            if "/error" in self.path:
                state["error"] = payload.decode(errors="replace")
            state["answered"] = time.monotonic()
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            done.set()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ,
               AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
               AWS_LAMBDA_FUNCTION_NAME="init-time",
               AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
               AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512")
    started = time.monotonic()
    process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    finished = done.wait(60)
    process.kill()
    stderr = process.communicate()[1].decode(errors="replace")
    server.shutdown()
    if not finished or state["asked"] is None:
        sys.exit(f"the binary never completed an invocation; its stderr:\n{stderr}")
    if state["error"]:
        sys.exit(f"the invocation failed: {state['error']}")
    return (state["asked"] - started) * 1000, (state["answered"] - state["asked"]) * 1000


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, event_file = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    with open(event_file) as f:
        event = f.read()
    json.loads(event)
    inits, invokes = zip(*(one_run(binary, event) for _ in range(runs)))
    print(f"{runs} runs of {os.path.basename(binary)}: "
          f"init median {statistics.median(inits):.1f} ms (worst {max(inits):.1f}), "
          f"first invocation median {statistics.median(invokes):.1f} ms (worst {max(invokes):.1f})")


if __name__ == "__main__":
    main()
