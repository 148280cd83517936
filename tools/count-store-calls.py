"""Counts the DynamoDB calls each request of the k6 journey (tests/load/api-load-test.js) makes.

Starts the test moto server (tools/test-env/moto-server.py) and, in front of it, a proxy that
records every call's operation (X-Amz-Target) and, for TransactWriteItems, its operations; then
`sentiment-analyzer serve --store dynamodb` through the proxy, with the sample news. Once the
first ingestion is stored, it makes the journey's requests one at a time and prints, per
request, the calls made between sending it and reading the answer. Two visits are made, each
with its own session; the second is the one a steady-state server sees (its client address's
closed rate-limit window is already known to the container).

Usage (from the test venv, which has moto): python tools/count-store-calls.py BINARY
Needs nothing else; everything started is stopped on exit. moto is slow: a few minutes.
"""

import http.client
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


calls = []  # (operation, transaction ops) in arrival order
calls_lock = threading.Lock()


def proxy(moto_port):
    class Forward(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            target = (self.headers.get("X-Amz-Target") or "?").split(".")[-1]
            detail = ""
            if target == "TransactWriteItems":
                ops = Counter(next(iter(op)) for op in json.loads(body)["TransactItems"])
                detail = ", ".join(f"{n} {kind}" for kind, n in sorted(ops.items()))
            with calls_lock:
                calls.append((target, detail))
            upstream = http.client.HTTPConnection("127.0.0.1", moto_port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            upstream.request("POST", self.path, body, headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for k, v in answer.getheaders():
                if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            upstream.close()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def wait_for(what, predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    sys.exit(f"count-store-calls: {what} did not happen within {seconds} s")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="count-store-calls.")
    started = []
    try:
        moto_port = free_port()
        moto_log = open(os.path.join(work, "moto.log"), "w+")
        started.append(subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tools/test-env/moto-server.py"), str(moto_port)],
            stdout=moto_log, stderr=subprocess.STDOUT))
        wait_for("moto start", lambda: "ready" in open(moto_log.name).read(), 30)
        proxy_port = proxy(moto_port)

        env = dict(os.environ,
                   AWS_ENDPOINT_URL_DYNAMODB=f"http://127.0.0.1:{proxy_port}",
                   AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   SENTIMENT_STORE="dynamodb", SENTIMENT_TABLE="count-store-calls",
                   SENTIMENT_SOURCE="sample", SENTIMENT_MODEL="linear",
                   SENTIMENT_ADDR="127.0.0.1:0", SENTIMENT_INGEST_EVERY="24h", SENTIMENT_LOG_FORMAT="text",
                   SENTIMENT_RATE_LIMITS="anonymous_session=1000000/1h,config_write=1000000/1h,"
                                         "read=1000000/1m,default=1000000/1m",
                   RUST_LOG="info")
        subprocess.run([binary, "create-table"], env=env, check=True, stdout=subprocess.DEVNULL)
        log_path = os.path.join(work, "serve.log")
        started.append(subprocess.Popen([binary, "serve"], env=env, stdout=open(log_path, "w"),
                                        stderr=subprocess.STDOUT))
        log = lambda: open(log_path).read()
        wait_for("the first ingestion", lambda: "ingestion run finished" in log(), 600)
        base = re.search(r"listening on (http://[0-9.:]+)", log()).group(1)

        def request(method, path, token=None, body=None):
            headers = {"Accept": "application/json"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            if token:
                headers["X-User-ID"] = token
            with calls_lock:
                before = len(calls)
            req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
            with urllib.request.urlopen(req) as answer:
                status, text = answer.status, answer.read()
            with calls_lock:
                made = calls[before:]
            return status, (json.loads(text) if text else None), made

        def visit():
            rows = []

            def step(name, method, path, **kw):
                status, body, made = request(method, path, **kw)
                rows.append((name, status, made))
                return body

            token = step("create_session", "POST", "/api/v2/auth/anonymous", body={})["token"]
            a = step("create_config_symbols", "POST", "/api/v2/configurations", token=token,
                     body={"name": "Watchlist", "tickers": ["aapl", "msft", "nvda"], "timeframe_days": 7})
            b = step("create_config_weighted", "POST", "/api/v2/configurations", token=token,
                     body={"name": "Weighted", "timeframe_days": 30,
                           "tickers": [{"symbol": "AMZN", "weight": 0.75}, {"symbol": "TSLA", "weight": 0.25}]})
            step("list_configs", "GET", "/api/v2/configurations", token=token)
            for c in (a, b):
                n = f"{len(c['tickers'])} tickers, {c['timeframe_days']}d"
                step(f"config_sentiment ({n})", "GET", f"/api/v2/configurations/{c['config_id']}/sentiment", token=token)
            step("config_history (7d, 1h)", "GET",
                 f"/api/v2/configurations/{a['config_id']}/sentiment/AAPL/history?days=7&interval=1h", token=token)
            for view in ("sources", "periods"):
                step(f"config_heatmap ({view}, 3 tickers)", "GET",
                     f"/api/v2/configurations/{a['config_id']}/heatmap?view={view}", token=token)
            # Public reads carry no token, as in the k6 script (and through CloudFront).
            step("public_sentiment (3 tickers)", "GET", "/api/v2/sentiment?tickers=AAPL,MSFT,JPM&window=7d")
            page = step("articles_feed", "GET", "/api/v2/articles?limit=20")
            step("articles_feed_next", "GET", "/api/v2/articles?limit=20&cursor=" + urllib.request.quote(page["next_cursor"]))
            for c in (a, b):
                step(f"delete_config ({len(c['tickers'])} tickers)", "DELETE",
                     f"/api/v2/configurations/{c['config_id']}", token=token)
            step("signout", "POST", "/api/v2/auth/signout", token=token)
            return rows

        visit()
        rows = visit()
        print("| request | status | DynamoDB calls, in order |")
        print("|---|---|---|")
        for name, status, made in rows:
            text = ", ".join(f"{op}({detail})" if detail else op for op, detail in made)
            print(f"| {name} | {status} | {len(made)}: {text} |")
    finally:
        for p in reversed(started):
            p.terminate()
            p.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
