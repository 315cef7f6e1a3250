"""Reading server-sent events through the in-process test client."""

import json
from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient

Event = dict[str, Any]


def events(client: TestClient, path: str, **headers: str) -> Iterator[Event]:
    """The stream's events as they come ({"event", "id", "data"} or {"comment"})."""
    with client.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event: Event = {}
        for line in response.iter_lines():
            if not line:
                if event:
                    yield event
                event = {}
            elif line.startswith(":"):
                yield {"comment": line[1:].strip()}
            else:
                key, _, value = line.partition(": ")
                event[key] = json.loads(value) if key == "data" else value
