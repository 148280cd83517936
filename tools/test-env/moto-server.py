"""A moto server for the test suite: requests run one at a time, and a transaction's rollback
copies the items it touches, not whole tables.

- moto's DynamoDB backend applies an UpdateItem or a TransactWriteItems as an unlocked
  read-modify-write, so under moto_server's threaded werkzeug two concurrent requests can lose
  an increment or both pass a condition. DynamoDB itself makes every item write atomic, and the
  store's concurrency tests assert exactly that; serialising requests gives moto the same
  guarantee. Connections are still accepted concurrently.
- For its rollback, moto's TransactWriteItems deep-copies the whole table once per operation
  in the transaction: an article's 20-operation transaction on a table of a few thousand items
  copies tens of thousands of items, and a test ingesting a corpus takes many minutes and
  gigabytes. Here the items a transaction touches are saved before it runs and put back if
  it fails, which is the same all-or-nothing at the cost of the transaction's own size.

Usage: python tools/test-env/moto-server.py PORT   (prints "ready" once it listens)
"""

import copy
import signal
import sys
import threading

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


def item_keys(backend, transact_items):
    """(table name, key) of each operation, as moto's own code derives them."""
    keys = []
    for item in transact_items:
        op_type, op = next(iter(item.items()))
        table_name = op.get("TableName")
        if table_name not in backend.tables:
            continue
        if op_type == "Put":
            table = backend.get_table(table_name)
            attrs = op.get("Item", {})
            key = {table.hash_key_attr: attrs.get(table.hash_key_attr)}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs.get(table.range_key_attr)
        else:
            key = op.get("Key")
        if key and all(v is not None for v in key.values()):
            keys.append((table_name, key))
    return keys


def rollback_by_item() -> None:
    original = dynamodb_models.DynamoDBBackend.transact_write_items
    real_deepcopy = copy.deepcopy

    def transact_write_items(self, transact_items):
        saved = []
        for table_name, key in item_keys(self, transact_items):
            current = self.get_item(table_name, key)
            saved.append((table_name, key, current.to_json()["Attributes"] if current else None))

        def no_table_copies(obj, *args, **kwargs):
            # moto's own rollback then restores the live tables onto themselves: a no-op.
            return obj if isinstance(obj, Table) else real_deepcopy(obj, *args, **kwargs)

        # Requests are serialised (below), so swapping the module's function is not racy.
        dynamodb_models.copy.deepcopy = no_table_copies
        try:
            return original(self, transact_items)
        except BaseException:
            for table_name, key, attributes in saved:
                if attributes is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attributes)
            raise
        finally:
            dynamodb_models.copy.deepcopy = real_deepcopy

    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items


def main() -> None:
    port = int(sys.argv[1])
    rollback_by_item()
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
