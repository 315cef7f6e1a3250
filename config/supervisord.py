"""Start supervisord in the foreground with the service's programs (what ``make run`` does).

supervisord's config reads everything from ``%(ENV_...)s``; this fills those variables from
the settings, provides the UI password (generated once and kept under the state dir when
none is set), and then becomes supervisord through ``exec``, so no launcher process is left
behind and signals reach supervisord directly.
"""

import contextlib
import os
import secrets
import shutil
import sys
import sysconfig
from pathlib import Path

from pydantic import ValidationError

from config import ports
from config.die_with_parent import PARENT_PID_VARIABLE
from config.instance_lock import AlreadyRunningError, Instance, acquire
from config.settings import Role, Settings, get_settings

CONFIG_FILE = Path(__file__).resolve().parents[1] / "ops" / "supervisor" / "supervisord.conf"
# Another instance holds the state dir, or a port is taken: nothing was started.
EXIT_CANNOT_START = 3
# Where supervisord inherits the state dir's lock: below 5, the descriptors it keeps when it
# reloads (`ctl reload` closes 5 and up, supervisor's options.cleanup_fds).
LOCK_FD = 3


def ui_password(settings: Settings) -> tuple[str, bool]:
    """The UI password and whether it was generated just now."""
    if settings.supervisor_password:
        return settings.supervisor_password, False
    stored = settings.state_dir / "supervisor" / "password"
    if stored.exists():
        return stored.read_text().strip(), False
    stored.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)
    fd = os.open(stored, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return password, True


def supervisor_environment(settings: Settings, password: str) -> dict[str, str]:
    env = dict(os.environ)
    for folder in ("supervisor", "logs", "beat"):
        (settings.state_dir / folder).mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "PICHORD_PYTHON": sys.executable,
            "PICHORD_ROOT": str(CONFIG_FILE.parents[2]),
            "PICHORD_STATE_DIR": str(settings.state_dir),
            "PICHORD_API_HOST": settings.api_host,
            "PICHORD_API_PORT": str(settings.api_port),
            "PICHORD_API_PROCESSES": str(settings.api_processes),
            "PICHORD_SUPERVISOR_PORT": str(settings.supervisor_port),
            "PICHORD_SUPERVISOR_BIND": settings.supervisor_bind,
            # Relative to the config file; empty includes nothing.
            "PICHORD_API_PROGRAM": "api.conf" if _runs_api(settings) else "",
            "PICHORD_RUN_WORKER": _flag(settings.role in (Role.ALL, Role.WORKER)),
            "PICHORD_RUN_BEAT": _flag(_runs_api(settings) and settings.retention_days > 0),
            **_log_targets(settings),
            "PICHORD_SUPERVISOR_USER": settings.supervisor_user,
            "PICHORD_SUPERVISOR_PASSWORD": password,
            "PICHORD_WORKER_CONCURRENCY": str(settings.worker_concurrency),
            # A shutdown waits this long for running chunks: several chunk lengths.
            "PICHORD_STOP_WAIT_SECONDS": str(max(30, int(10 * settings.chunk_seconds))),
            # supervisord is exec'ed from this process and keeps its pid.
            PARENT_PID_VARIABLE: str(os.getpid()),
        }
    )
    return env


def _runs_api(settings: Settings) -> bool:
    return settings.role in (Role.ALL, Role.API)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _log_targets(settings: Settings) -> dict[str, str]:
    """Where supervisord writes each program's output: rotating files under the state dir, or
    (containers) supervisord's own stdout, which the runtime collects.

    Every API process needs a file of its own, because supervisord rotates a log by
    truncating it; for stdout those files are links to it."""
    if not settings.log_to_stdout:
        return {
            "PICHORD_LOG_DIR": str(settings.state_dir / "logs"),
            "PICHORD_LOG_MAXBYTES": "10MB",
        }
    links = settings.state_dir / "supervisor" / "stdout"
    links.mkdir(parents=True, exist_ok=True)
    names = ["worker.log", "beat.log", *(f"api-{n}.log" for n in range(settings.api_processes))]
    for name in names:
        # Containers sharing the state volume start together and make the same links.
        with contextlib.suppress(FileExistsError):
            (links / name).symlink_to("/dev/stdout")
    return {"PICHORD_LOG_DIR": str(links), "PICHORD_LOG_MAXBYTES": "0"}


def main(argv: list[str] | None = None) -> None:
    """``python -m config.supervisord`` runs the service; ``... ctl ARGS`` runs supervisorctl."""
    args = sys.argv[1:] if argv is None else argv
    settings = _settings_or_exit()
    if args[:1] == ["ctl"]:
        password, _ = ui_password(settings)
        env = supervisor_environment(settings, password)
        ctl = _tool("supervisorctl")
        os.execve(ctl, [ctl, "-c", str(CONFIG_FILE), *args[1:]], env)
    where = f"http://127.0.0.1:{settings.supervisor_port}"
    api = f"http://{settings.api_host}:{settings.api_port}"
    lock = _claim(settings, Instance(pid=os.getpid(), api=api, ui=where))
    password, generated = ui_password(settings)
    env = supervisor_environment(settings, password)
    if generated:
        print(f"supervisord UI {where} user {settings.supervisor_user!r} password {password!r}")
        print(f"(printed once; stored in {settings.state_dir / 'supervisor' / 'password'})")
    else:
        print(f"supervisord UI {where} user {settings.supervisor_user!r}")
    print(f"API {api}/docs  logs {settings.state_dir / 'logs'}")
    sys.stdout.flush()
    # Inheritable, unlike ``lock``: supervisord holds the lock for as long as it lives.
    os.dup2(lock, LOCK_FD)
    os.set_inheritable(LOCK_FD, True)  # dup2 onto itself (lock == LOCK_FD) changes nothing
    supervisord = _tool("supervisord")
    os.execve(supervisord, [supervisord, "--nodaemon", "-c", str(CONFIG_FILE)], env)


def _settings_or_exit() -> Settings:
    """The settings, or each bad one named on the terminal (the messages say the fix) and exit:
    the container's log then shows what to set, not a traceback."""
    try:
        return get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            where = f"PICHORD_{str(error['loc'][0]).upper()}: " if error["loc"] else ""
            message = str(error["msg"]).removeprefix("Value error, ")
            print(f"pichord serve: {where}{message}", file=sys.stderr)
        raise SystemExit(EXIT_CANNOT_START) from None


def _claim(settings: Settings, me: Instance) -> int:
    """Lock the state dir and check the ports, or say on the terminal why not and exit."""
    try:
        lock = acquire(settings.state_dir, me)
        ports.ensure_free(
            settings.supervisor_bind, settings.supervisor_port, "PICHORD_SUPERVISOR_PORT"
        )
        if _runs_api(settings):
            ports.ensure_free(settings.api_host, settings.api_port, "PICHORD_API_PORT")
    except (AlreadyRunningError, ports.PortUnavailableError) as exc:
        print(f"pichord serve: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CANNOT_START) from None
    return lock


class ToolNotFoundError(FileNotFoundError):
    """A supervisor console script is nowhere this Python's scripts can be."""


def _tool(name: str) -> str:
    """The absolute path of the console script ``name`` for this Python.

    ``os.execve`` does not search PATH, so the path must be complete. A virtualenv (and the
    official python image) keeps scripts beside ``sys.executable``; Debian's interpreter is
    ``/usr/bin/python`` while pip puts scripts in ``/usr/local/bin``, which only the
    interpreter's scripts path and PATH name.
    """
    beside = str(Path(sys.executable).parent)
    scripts = sysconfig.get_path("scripts")
    search = os.environ.get("PATH", os.defpath)
    for path in (beside, scripts, search):
        found = shutil.which(name, path=path)
        if found:
            return os.path.abspath(found)
    raise ToolNotFoundError(
        f"{name!r} is not beside {sys.executable}, in {scripts} or on PATH={search!r}; "
        f"install the supervisor package into this Python ({sys.executable} -m pip install "
        "supervisor) or put its scripts folder on PATH"
    )


if __name__ == "__main__":
    main()
