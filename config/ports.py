"""Check, before supervisord starts, that the ports it and the API will listen on are free.

Left to itself, an API whose port is taken exits, is retried, goes FATAL and takes the whole
instance down with only a line in a log file to say why. Checked here, the terminal names the
process holding the port and the setting that moves it.
"""

import errno
import socket

import psutil

# Longest part of the holder's command line shown.
_COMMAND_CHARS = 100


class PortUnavailableError(RuntimeError):
    """A port the service needs cannot be listened on."""


def ensure_free(host: str, port: int, setting: str) -> None:
    """Raise PortUnavailableError, naming the holder and ``setting``, unless ``host:port`` binds."""
    family, _, _, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn and supervisord bind: connections of a stopped server in TIME_WAIT do not
        # keep the port from being reused.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortUnavailableError(
                    f"port {port} is in use by {holder(port)}; stop it or set {setting} "
                    "to a free port"
                ) from None
            raise PortUnavailableError(
                f"cannot listen on {host}:{port} ({exc.strerror}); check {setting} and the "
                "host setting beside it"
            ) from None


def holder(port: int) -> str:
    """Who listens on ``port``, as far as this user may see."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.Error:
        connections = []
    for connection in connections:
        if (
            connection.status == psutil.CONN_LISTEN
            and connection.laddr
            and connection.laddr.port == port
            and connection.pid is not None
        ):
            try:
                command = " ".join(" ".join(psutil.Process(connection.pid).cmdline()).split())
            except psutil.Error:
                return f"pid {connection.pid}"
            if len(command) > _COMMAND_CHARS:
                command = command[: _COMMAND_CHARS - 1] + "…"
            return f"pid {connection.pid} ({command})"
    return "a process this user cannot see (another user's?)"
