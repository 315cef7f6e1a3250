"""A TCP proxy in front of the real RabbitMQ that a test switches off and on, so an API sees
its broker go away and come back while the shared RabbitMQ keeps serving every other test.

Off comes in two kinds, the two ways a broker is missing:

* ``refuse``: nothing listens on the port any more (connect gets ECONNREFUSED) and every open
  connection is closed, as when RabbitMQ is stopped;
* ``hang``: connections are accepted and open ones stay open, but not a byte is passed on in
  either direction, as when the broker's host or the network stops answering.
"""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Literal

Outage = Literal["refuse", "hang"]

_CHUNK = 64 * 1024


class BrokerProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self._upstream = upstream
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        # Connections made while the proxy was up; only they forward.
        self._live: set[socket.socket] = set()
        self._forwarding = True
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port: int = probe.getsockname()[1]
        probe.close()
        self._listen()

    def url(self, rabbitmq_url: str) -> str:
        """``rabbitmq_url`` with its host and port replaced by the proxy's."""
        scheme, rest = rabbitmq_url.split("://", 1)
        credentials, _, path = rest.partition("@")
        vhost = path.partition("/")[2]
        return f"{scheme}://{credentials}@127.0.0.1:{self.port}/{vhost}"

    def off(self, outage: Outage) -> None:
        with self._lock:
            self._forwarding = False
            if outage == "refuse":
                self._close_listener()
                self._close_all()
            else:
                # Open connections stay open and silent: nothing is forwarded any more.
                self._live.clear()

    def on(self) -> None:
        """Forward again; connections left silent by ``hang`` are closed, as a broker that
        came back no longer knows them."""
        with self._lock:
            self._close_all()
            self._forwarding = True
            if self._listener is None:
                self._listen()

    def close(self) -> None:
        with self._lock:
            self._forwarding = False
            self._close_listener()
            self._close_all()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _close_listener(self) -> None:
        if self._listener is not None:
            with suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None

    def _close_all(self) -> None:
        for sock in self._sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._sockets.clear()
        self._live.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            with self._lock:
                self._sockets.add(client)
                if not self._forwarding:
                    continue  # held open, never answered
            try:
                upstream = socket.create_connection(self._upstream, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.add(upstream)
                self._live.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        while True:
            try:
                data = source.recv(_CHUNK)
            except OSError:
                return
            if not data:
                with suppress(OSError):
                    sink.shutdown(socket.SHUT_WR)
                return
            with self._lock:
                live = source in self._live
            if live:
                try:
                    sink.sendall(data)
                except OSError:
                    return


@contextmanager
def broker_proxy(upstream: tuple[str, int]) -> Iterator[BrokerProxy]:
    proxy = BrokerProxy(upstream)
    try:
        yield proxy
    finally:
        proxy.close()
