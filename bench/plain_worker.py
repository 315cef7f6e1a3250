"""The plain-Celery anchor's worker app (bench/plain_celery.py), from its environment."""

import os

from plain_celery import REDIS, make_app

app = make_app(
    os.environ.get("PLAIN_BROKER", REDIS),
    os.environ.get("PLAIN_BACKEND", REDIS),
    os.environ.get("PLAIN_QUEUE", "plain"),
)
