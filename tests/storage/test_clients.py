"""Clients: a token shown once, found by its hash, revoked at once."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.clients import (
    BadClientNameError,
    ClientBook,
    ClientExistsError,
    NoSuchClientError,
    Scope,
)


def test_a_token_finds_its_client_and_only_a_hash_is_stored(tmp_path: Path) -> None:
    book = ClientBook(tmp_path / "clients")
    assert not book.in_use()
    token = book.add("ci-bot", Scope.SUBMIT)
    assert book.in_use()
    found = book.find(token)
    assert found is not None and (found.name, found.scope) == ("ci-bot", Scope.SUBMIT)
    assert book.find(token + "x") is None
    stored = b"".join(p.read_bytes() for p in (tmp_path / "clients").rglob("*") if p.is_file())
    assert token.encode() not in stored


def test_removal_revokes_the_token_for_every_reader_of_the_folder(tmp_path: Path) -> None:
    token = ClientBook(tmp_path).add("alice", Scope.READ)
    other_process = ClientBook(tmp_path)
    assert other_process.find(token) is not None
    ClientBook(tmp_path).remove("alice")
    assert other_process.find(token) is None
    assert other_process.clients() == []
    # Removing the last client does not open the service again.
    assert other_process.in_use()
    with pytest.raises(NoSuchClientError, match="'alice'"):
        other_process.remove("alice")


def test_names_are_unique_and_plain(tmp_path: Path) -> None:
    book = ClientBook(tmp_path)
    book.add("alice", Scope.READ)
    with pytest.raises(ClientExistsError, match="'alice'"):
        book.add("alice", Scope.ADMIN)
    for bad in ("", "Alice", "../x", "a b", "x" * 64):
        with pytest.raises(BadClientNameError):
            book.add(bad, Scope.READ)
    assert [c.name for c in book.clients()] == ["alice"]


def test_last_use_is_noted_at_most_once_a_minute(tmp_path: Path) -> None:
    book = ClientBook(tmp_path)
    token = book.add("alice", Scope.READ)
    start = datetime.now(UTC)
    book.find(token, now=start)
    book.find(token, now=start + timedelta(seconds=30))
    assert book.clients()[0].last_used == start
    book.find(token, now=start + timedelta(seconds=61))
    assert book.clients()[0].last_used == start + timedelta(seconds=61)


def test_scopes_include_the_ones_below() -> None:
    assert Scope.ADMIN.allows(Scope.SUBMIT) and Scope.SUBMIT.allows(Scope.READ)
    assert not Scope.READ.allows(Scope.SUBMIT) and not Scope.SUBMIT.allows(Scope.ADMIN)
