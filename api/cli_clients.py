"""`pichord clients`: add, list and remove the API's clients, on this machine's state dir.

Works on the files directly (PICHORD_STATE_DIR), not over HTTP: whoever can write the state
dir already controls the service, and the first client has nobody to authenticate it.
"""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.audit import record_local
from config import get_settings
from storage.audit import AuditAction
from storage.clients import ClientBook, Scope
from storage.layout import StateLayout

clients_app = typer.Typer(help="The API's clients and their tokens.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def _book() -> ClientBook:
    return ClientBook(StateLayout(get_settings().state_dir).clients)


@clients_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Lowercase letters, digits, '.', '_', '-'")],
    scope: Annotated[Scope, typer.Option(help="read, submit (and cancel its own), admin")],
) -> None:
    """Add a client and print its token once (only a hash of it is kept)."""
    try:
        token = _book().add(name, scope)
    except ValueError as exc:
        errors.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from exc
    errors.print(f"client {name!r} added with scope {scope.value!r}; its token, shown only now:")
    print(token)
    # After the token is out: an audit line that cannot be written must not lose it.
    record_local(
        get_settings(), AuditAction.CLIENT_ADD, client=name, scope=scope.value, result="added"
    )


@clients_app.command("list")
def list_clients() -> None:
    """Names, scopes, when each was added and last used; never a token."""
    table = Table(title="clients")
    for column in ("name", "scope", "created", "last used"):
        table.add_column(column, no_wrap=True)
    for client in _book().clients():
        used = client.last_used.isoformat(timespec="seconds") if client.last_used else "never"
        table.add_row(
            client.name, client.scope.value, client.created.isoformat(timespec="seconds"), used
        )
    console.print(table)


@clients_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The client's name")]) -> None:
    """Revoke a client's token at once, for every API process on this state dir."""
    book = _book()
    # Read before the removal, for the audit line; None if it goes in between.
    scope = next((c.scope.value for c in book.clients() if c.name == name), None)
    try:
        book.remove(name)
    except LookupError as exc:
        # Not audited: only a removal that happened is, and a mistyped name (a pasted
        # token, even) is not worth keeping.
        errors.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from exc
    record_local(
        get_settings(), AuditAction.CLIENT_REMOVE, client=name, scope=scope, result="removed"
    )
    console.print(f"client {name!r} removed")
