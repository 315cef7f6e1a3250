"""The embedded broker's transport: kombu's filesystem transport, with whole messages and
woken by a freed slot.

kombu writes a message file in place (open, then write), and a consumer takes any file whose
name matches the queue (it moves it away, then reads it): one that comes between the open and
the write reads an empty file, fails on its JSON, loses the message and stops consuming. Seen
with two API processes submitting tiny jobs from 16 clients (bench/throughput.py): a worker
stopped with 1,495 messages in the folder. Here a message is written under a name no consumer
matches and renamed into place, so a consumer sees it whole or not at all.

kombu's virtual transports poll. A worker whose prefetch slots are all taken sleeps
``polling_interval`` between checks, so a process that finished a chunk waited half an
interval on average for its next lane ticket, though the ticket had been in the queue folder
since the chunk began: with 0.1 s and 250 ms chunks, a lone job ran at 76 % of the kernel's
speed (bench/saturation.py). Here the ack or reject that frees a slot wakes the polling loop
at once. It comes from the prefork pool's result thread (Celery's ``call_soon_ack``), while
the consumer's thread sleeps in ``drain_events``. An empty queue is still polled every
``polling_interval``, so an idle worker costs what it did.
"""

import os
import threading
import time
import uuid
from pathlib import Path
from queue import Empty
from typing import Any

from kombu import Connection
from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(  # type: ignore[override]  # the stubs of kombu's two bases disagree
        self, queue: str, payload: dict[str, Any], **kwargs: Any
    ) -> None:
        # The name kombu gives it: sorted by publish time, matched by its queue's suffix.
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        folder = Path(self.data_folder_out)
        # A leading dot: its text after the first dot is never "<queue>.msg".
        partial = folder / f".{uuid.uuid4().hex}.partial"
        try:
            partial.write_bytes(str_to_bytes(dumps(payload)))
            os.replace(partial, folder / name)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc

    def basic_ack(self, delivery_tag: str, multiple: bool = False) -> None:
        super().basic_ack(delivery_tag, multiple)
        _wake(self.connection)

    def basic_reject(self, delivery_tag: str, requeue: bool = False) -> None:
        super().basic_reject(delivery_tag, requeue)
        _wake(self.connection)


def _wake(transport: Any) -> None:
    if isinstance(transport, Transport):
        transport.slot_freed.set()


class Transport(filesystem.Transport):
    Channel = Channel

    def __init__(self, client: Connection, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self.slot_freed = threading.Event()

    def drain_events(  # type: ignore[override]  # the stubs' base takes **kwargs
        self, connection: Connection, timeout: float | None = None
    ) -> None:
        """kombu's loop (``virtual.Transport.drain_events``), with its sleep between polls
        cut short by a freed slot."""
        started = time.monotonic()
        interval = self.polling_interval
        if timeout and interval and interval > timeout:
            interval = timeout
        assert self.cycle is not None
        while True:
            # Cleared before looking, so a slot freed while we look wakes the next wait.
            self.slot_freed.clear()
            try:
                self.cycle.get(self._deliver, timeout=timeout)
            except Empty:
                if timeout is not None and time.monotonic() - started >= timeout:
                    raise TimeoutError() from None  # socket.timeout, as kombu raises
                if interval is not None:
                    self.slot_freed.wait(interval)
            else:
                return
