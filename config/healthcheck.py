"""The container's HEALTHCHECK: the API's /health where the API runs, else the worker's
state in supervisord. Exit 0 healthy, 1 not."""

import sys
import urllib.request
import xmlrpc.client

from config.settings import Role, Settings, get_settings
from config.supervisord import ui_password

_TIMEOUT = 4.0


def api_healthy(settings: Settings) -> bool:
    url = f"http://127.0.0.1:{settings.api_port}/health"
    with urllib.request.urlopen(url, timeout=_TIMEOUT) as response:
        return bool(response.status == 200)


def worker_running(settings: Settings) -> bool:
    password, _ = ui_password(settings)
    url = f"http://{settings.supervisor_user}:{password}@127.0.0.1:{settings.supervisor_port}/RPC2"
    with xmlrpc.client.ServerProxy(url) as rpc:
        info = rpc.supervisor.getProcessInfo("worker")
    return isinstance(info, dict) and info.get("statename") == "RUNNING"


def main() -> int:
    settings = get_settings()
    try:
        if settings.role == Role.WORKER:
            healthy = worker_running(settings)
        else:
            healthy = api_healthy(settings)
    except (OSError, xmlrpc.client.Error) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
