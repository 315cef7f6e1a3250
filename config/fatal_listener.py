"""supervisord event listener: when a program goes FATAL, stop supervisord.

supervisord keeps running with a FATAL program (Supervisor #733), so a container would look
alive while serving nothing. Stopping supervisord ends the container and its restart policy
takes over; under `make run` the operator sees the service stop instead of half-running.
"""

import os
import signal
import sys

from supervisor import childutils


def main() -> None:
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        if headers.get("eventname") == "PROCESS_STATE_FATAL":
            fields, _ = childutils.eventdata(payload + "\n")
            print(
                f"program {fields.get('processname')!r} is FATAL; stopping supervisord",
                file=sys.stderr,
                flush=True,
            )
            os.kill(os.getppid(), signal.SIGTERM)
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    main()
