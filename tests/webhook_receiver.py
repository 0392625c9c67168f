"""A small HTTP server on 127.0.0.1 (ephemeral port) that records webhook POSTs, for tests."""
import http.server
import json
import threading
from contextlib import contextmanager


class Receiver:
    def __init__(self, port: int):
        self.port = port
        self.requests: list[dict] = []  # {"path", "headers", "body" (raw bytes), "json"}
        self.status = 200  # what it answers; a list is consumed one per request
        self.lock = threading.Lock()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def events(self, path: str | None = None) -> list[dict]:
        with self.lock:
            return [e for r in self.requests if path is None or r["path"] == path for e in r["json"]["events"]]


@contextmanager
def webhook_receiver():
    receiver = Receiver(0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.lock:
                status = receiver.status.pop(0) if isinstance(receiver.status, list) else receiver.status
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                          "json": json.loads(body)})
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
