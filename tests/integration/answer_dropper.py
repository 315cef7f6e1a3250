"""An HTTP front for the API that passes a request on and, for the first ``drops`` of them,
closes the connection instead of sending the answer back: the answer lost on the way that a
client must not turn into a second job."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx2

from tests.integration.http_front import relay


class AnswerDropper:
    def __init__(self, upstream: str, drops: int) -> None:
        self.upstream = upstream
        self.drops = drops
        # (method, path, Idempotency-Key) of every request passed on.
        self.seen: list[tuple[str, str, str | None]] = []
        dropper = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                dropper.seen.append(("POST", self.path, self.headers.get("Idempotency-Key")))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = httpx2.post(dropper.upstream + self.path, content=body, headers=headers)
                if dropper.drops > 0:
                    dropper.drops -= 1
                    self.close_connection = True
                    return  # the job exists; its answer never arrives
                relay(self, answer)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
