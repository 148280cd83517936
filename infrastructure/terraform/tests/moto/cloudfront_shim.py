#!/usr/bin/env python3
"""Test-only CloudFront endpoint for the moto apply in scripts/check-infrastructure.

moto implements CloudFront distributions and origin access controls but not cache policies, and
modules/cdn creates one. This shim answers the three cache-policy calls the AWS provider makes
(create, get, delete) from memory and forwards every other request unchanged to moto, so the real
configuration is applied without a test-only variant of the module.

Usage: cloudfront_shim.py PORT MOTO_ENDPOINT   (serves on 127.0.0.1:PORT until killed)
"""

import http.client
import re
import sys
import threading
import urllib.parse
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API = "/2020-05-31"
NAMESPACE = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
POLICY_PATH = re.compile(rf"^{API}/cache-policy(?:/(?P<id>[A-Za-z0-9-]+))?$")

policies: dict[str, tuple[str, str, str]] = {}  # id -> (config xml without namespace, etag, time)
lock = threading.Lock()


def policy_xml(policy_id: str) -> str:
    config, _, modified = policies[policy_id]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<CachePolicy xmlns="{NAMESPACE}"><Id>{policy_id}</Id>'
        f"<LastModifiedTime>{modified}</LastModifiedTime>{config}</CachePolicy>"
    )


def not_found() -> tuple[int, dict[str, str], bytes]:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="{NAMESPACE}">'
        "<Error><Type>Sender</Type><Code>NoSuchCachePolicy</Code>"
        "<Message>The cache policy does not exist.</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return 404, {"Content-Type": "text/xml"}, body.encode()


def handle_policy(method: str, policy_id: str | None, body: bytes) -> tuple[int, dict[str, str], bytes]:
    with lock:
        if method == "POST" and policy_id is None:
            config = re.sub(r"<\?xml[^>]*\?>", "", body.decode()).strip()
            config = re.sub(r'\sxmlns="[^"]*"', "", config, count=1)
            new_id = str(uuid.uuid4())
            etag = uuid.uuid4().hex[:14].upper()
            modified = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            policies[new_id] = (config, etag, modified)
            headers = {
                "Content-Type": "text/xml",
                "ETag": etag,
                "Location": f"https://cloudfront.amazonaws.com{API}/cache-policy/{new_id}",
            }
            return 201, headers, policy_xml(new_id).encode()
        if policy_id is None or policy_id not in policies:
            return not_found()
        if method == "GET":
            return 200, {"Content-Type": "text/xml", "ETag": policies[policy_id][1]}, policy_xml(policy_id).encode()
        if method == "DELETE":
            del policies[policy_id]
            return 204, {}, b""
    return 405, {}, b""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    moto: urllib.parse.SplitResult

    def _respond(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urllib.parse.urlsplit(self.path).path
        match = POLICY_PATH.match(path)
        if match:
            self._respond(*handle_policy(self.command, match.group("id"), body))
            return
        conn = http.client.HTTPConnection(self.moto.hostname, self.moto.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        conn.request(self.command, self.path, body=body or None, headers=headers)
        upstream = conn.getresponse()
        data = upstream.read()
        passthrough = {
            k: v
            for k, v in upstream.getheaders()
            if k.lower() not in ("content-length", "transfer-encoding", "connection")
        }
        self._respond(upstream.status, passthrough, data)
        conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    def log_message(self, format: str, *args: object) -> None:  # keep the test output quiet
        pass


def main() -> None:
    port, moto_endpoint = int(sys.argv[1]), sys.argv[2]
    Handler.moto = urllib.parse.urlsplit(moto_endpoint)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
