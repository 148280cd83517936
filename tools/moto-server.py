"""A moto server whose requests run one at a time.

moto's DynamoDB backend applies an UpdateItem or a TransactWriteItems as an unlocked
read-modify-write, so under moto_server's threaded werkzeug two concurrent requests can lose
an increment or both pass a condition. DynamoDB itself makes every item write atomic, and the
store's concurrency tests assert exactly that; serialising requests gives moto the same
guarantee. Connections are still accepted concurrently.

Usage: python tools/moto-server.py PORT   (prints "ready" on stdout once it listens)
"""

import signal
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


def main() -> None:
    port = int(sys.argv[1])
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialised(environ, start_response):
        with lock:
            # Consume the response inside the lock: the backend work may be lazy.
            return list(app(environ, start_response))

    server = make_server("127.0.0.1", port, serialised, threaded=True, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
