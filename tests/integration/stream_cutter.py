"""An HTTP front for the API that passes GET and POST requests on, but cuts every event
stream after its first event: a proxy that drops long-lived connections."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx2

from tests.integration.http_front import relay


class StreamCutter:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        # (method, path) of every request seen.
        self.seen: list[tuple[str, str]] = []
        cutter = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                cutter.seen.append(("GET", self.path))
                if self.path.endswith("/events"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    self.wfile.write(b'event: status\ndata: {"status": "WAITING"}\nid: 11\n\n')
                    self.wfile.flush()
                    self.close_connection = True
                    return
                relay(self, httpx2.get(cutter.upstream + self.path, headers=self._headers()))

            def do_POST(self) -> None:
                cutter.seen.append(("POST", self.path))
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                url = cutter.upstream + self.path
                relay(self, httpx2.post(url, content=body, headers=self._headers()))

            def _headers(self) -> dict[str, str]:
                return {k: v for k, v in self.headers.items() if k.lower() != "host"}

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
