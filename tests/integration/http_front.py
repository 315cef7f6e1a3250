"""What the test fronts for the API (answer_dropper, stream_cutter) share: sending an
upstream answer back through a standard-library request handler."""

from http.server import BaseHTTPRequestHandler

import httpx2

# Set by the front from the body it sends, or meaningless once relayed.
_NOT_RELAYED = ("content-length", "transfer-encoding", "connection")


def relay(handler: BaseHTTPRequestHandler, answer: httpx2.Response) -> None:
    handler.send_response(answer.status_code)
    for name, value in answer.headers.items():
        if name.lower() not in _NOT_RELAYED:
            handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(answer.content)))
    handler.end_headers()
    handler.wfile.write(answer.content)
