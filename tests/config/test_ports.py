import os
import socket

import pytest

from config.ports import PortUnavailableError, ensure_free


def test_a_free_port_passes() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ensure_free("127.0.0.1", port, "PICHORD_API_PORT")


def test_a_taken_port_names_its_holder_and_the_setting() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PortUnavailableError) as taken:
            ensure_free("127.0.0.1", port, "PICHORD_API_PORT")
    message = str(taken.value)
    assert f"port {port} is in use by pid {os.getpid()} (" in message
    assert "set PICHORD_API_PORT" in message


def test_an_address_of_another_machine_is_refused() -> None:
    # TEST-NET-3 (RFC 5737): never an address of this machine.
    with pytest.raises(PortUnavailableError, match=r"cannot listen on 203\.0\.113\.7:8000"):
        ensure_free("203.0.113.7", 8000, "PICHORD_API_PORT")
