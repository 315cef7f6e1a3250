from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from config import Settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app in process, on the embedded broker with no worker running."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client
