"""The `pichord` command: submit, watch, list and cancel jobs, show the host, start the service.

Talks to a running service over HTTP (--url, --token or PICHORD_URL, PICHORD_TOKEN); only
`serve` starts one (what `make run` calls).
"""

import sys
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from api.cli_client import ApiClient, ApiError
from api.cli_clients import clients_app
from api.cli_watch import follow

app = typer.Typer(help="Certified digits of pi from the Leibniz series.", no_args_is_help=True)
app.add_typer(clients_app, name="clients")
console = Console()
errors = Console(stderr=True)

EXIT_FAILED = 1
EXIT_REVOKED = 2

# The same options after the command (`pichord submit 4 --url ...`), as people type them; given
# there they win over the ones before it and over the environment.
UrlAfter = Annotated[
    str | None, typer.Option("--url", help="The API's base URL", show_default=False)
]
TokenAfter = Annotated[
    str | None, typer.Option("--token", help="Bearer token, if the API has one", show_default=False)
]


@dataclass(frozen=True)
class Connection:
    """--url and --token as given before the command (or from the environment)."""

    url: str
    token: str | None


@app.callback()
def main(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Option(envvar="PICHORD_URL", help="The API's base URL")
    ] = "http://127.0.0.1:8000",
    token: Annotated[
        str | None, typer.Option(envvar="PICHORD_TOKEN", help="Bearer token, if the API has one")
    ] = None,
) -> None:
    ctx.obj = Connection(url, token)


def _client(ctx: typer.Context, url: str | None, token: str | None) -> ApiClient:
    before: Connection = ctx.obj
    return ApiClient(before.url if url is None else url, before.token if token is None else token)


def _fail(exc: ApiError) -> NoReturn:
    errors.print(f"[red]error:[/red] {exc}", soft_wrap=True)
    raise typer.Exit(EXIT_FAILED)


@app.command()
def submit(
    ctx: typer.Context,
    digits: Annotated[int, typer.Argument(min=0, help="Decimals of pi wanted")],
    method: Annotated[
        str, typer.Option(help="A method the service offers (`pichord methods` lists them)")
    ] = "leibniz",
    watch_it: Annotated[bool, typer.Option("--watch", help="Follow it until it ends")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between polls")] = 0.5,
    key: Annotated[
        str | None,
        typer.Option(
            "--idempotency-key",
            help="Sent with every attempt (a new random one by default); the same key again "
            "returns the job it created",
        ),
    ] = None,
    url: UrlAfter = None,
    token: TokenAfter = None,
) -> None:
    """Start a job and print its id; retried with the same Idempotency-Key when the API
    cannot be reached, times out or answers 503, so it is created once."""
    client = _client(ctx, url, token)
    try:
        job_id = client.submit(method, digits, key)
    except ApiError as exc:
        _fail(exc)
    console.print(job_id)
    if watch_it:
        _watch(client, job_id, interval)


@app.command()
def watch(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="The job's id")],
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between polls")] = 0.5,
    url: UrlAfter = None,
    token: TokenAfter = None,
) -> None:
    """Progress bars for the job and its chunks until it ends; non-zero exit unless SUCCESS."""
    _watch(_client(ctx, url, token), job_id, interval)


def _watch(client: ApiClient, job_id: str, interval: float) -> None:
    try:
        task = follow(client, job_id, interval, console)
        if task["status"] == "SUCCESS" and "result" not in task:
            task["result"] = client.digits(job_id)
    except ApiError as exc:
        _fail(exc)
    report(task)


def report(task: dict[str, Any]) -> None:
    status = task["status"]
    if status == "SUCCESS":
        # One unbroken line: the digits are meant to be copied.
        console.print(f"[green]SUCCESS[/green] {task['result']}", soft_wrap=True)
        certificate = task.get("certificate") or {}
        console.print(
            f"certified with {certificate.get('terms')} terms, "
            f"mpmath {'agrees' if task.get('verified') else 'DISAGREES'}"
        )
        return
    if status == "FAILURE":
        errors.print(f"[red]FAILURE[/red] {task.get('error')}", soft_wrap=True)
        raise typer.Exit(EXIT_FAILED)
    errors.print(f"[yellow]{status}[/yellow]")
    raise typer.Exit(EXIT_REVOKED)


@app.command(name="list")
def list_tasks(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only this status")] = None,
    owner: Annotated[str | None, typer.Option(help="Only this client's jobs")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    url: UrlAfter = None,
    token: TokenAfter = None,
) -> None:
    """The newest jobs."""
    try:
        page = _client(ctx, url, token).tasks(status, limit, owner)
    except ApiError as exc:
        _fail(exc)
    table = Table(title=f"{page['total']} jobs")
    # Ids in full: they are what the other commands take.
    table.add_column("id", no_wrap=True, min_width=36)
    for column in ("method", "digits", "owner", "status", "%", "submitted (UTC)"):
        table.add_column(column, no_wrap=True)
    for task in page["tasks"]:
        progress = task.get("progress") or {}
        table.add_row(
            task["id"],
            str(task.get("method")),
            str(task.get("digits")),
            task.get("owner") or "-",
            task["status"],
            f"{progress.get('percent', 0.0):.1f}",
            str(task["pushqtime"])[5:19].replace("T", " "),
        )
    console.print(table)


@app.command()
def methods(ctx: typer.Context, url: UrlAfter = None, token: TokenAfter = None) -> None:
    """The methods the service computes by, with their digit caps."""
    try:
        offered = _client(ctx, url, token).methods()
    except ApiError as exc:
        _fail(exc)
    table = Table(title="methods")
    for column in ("name", "label", "max digits", "cap setting"):
        table.add_column(column, no_wrap=True)
    for method in offered:
        table.add_row(
            method["name"], method["label"], str(method["max_digits"]), method["cap_setting"]
        )
    console.print(table)


@app.command()
def cancel(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="The job's id")],
    url: UrlAfter = None,
    token: TokenAfter = None,
) -> None:
    """Cancel a waiting or running job."""
    try:
        task = _client(ctx, url, token).cancel(job_id)
    except ApiError as exc:
        _fail(exc)
    console.print(f"{task['id']} {task['status']}")


@app.command()
def host(ctx: typer.Context, url: UrlAfter = None, token: TokenAfter = None) -> None:
    """The host's CPU, memory and disks, as the API sees them."""
    client = _client(ctx, url, token)
    try:
        summary, cpu, partitions = client.host()
    except ApiError as exc:
        _fail(exc)
    table = Table(title=f"{summary['hostname']} ({summary['os']}, pichord {summary['version']})")
    table.add_column("what")
    table.add_column("value")
    table.add_row("CPU", f"{cpu['total']:.1f}% of {len(cpu['per_cpu'])} logical CPUs")
    for number, percent in enumerate(cpu["per_cpu"]):
        table.add_row(f"  cpu{number}", f"{percent:.1f}%")
    table.add_row("load", " ".join(f"{v:.2f}" for v in summary["load_average"]))
    memory = summary["memory"]
    table.add_row("memory", f"{memory['percent']:.1f}% of {memory['total'] / 2**30:.1f} GiB")
    for part in partitions["partitions"]:
        if part.get("percent") is None:
            shown = str(part.get("error"))
        else:
            shown = f"{part['percent']:.1f}% of {part['total'] / 2**30:.1f} GiB"
        table.add_row(f"disk {part['mountpoint']}", shown)
    console.print(table)


@app.command()
def serve() -> None:
    """Start supervisord with the API, a worker and beat in the foreground (make run)."""
    # Imported here: the other commands only talk HTTP and start without the pipeline.
    from config import ConfigError
    from config.supervisord import EXIT_CANNOT_START
    from config.supervisord import main as run_supervisord
    from pipeline.methods import read_method_settings

    # config (and so supervisord's launcher) knows no method: their settings are checked
    # here, so that a bad one is named on the terminal rather than in the programs' logs.
    try:
        read_method_settings()
    except ConfigError as exc:
        print(f"pichord serve: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CANNOT_START) from None
    run_supervisord([])
