"""The embedded broker's transport: kombu's filesystem transport, woken by a freed slot.

kombu's virtual transports poll. A worker whose prefetch slots are all taken sleeps
``polling_interval`` between checks, so a process that finished a chunk waited half an
interval on average for its next lane ticket, though the ticket had been in the queue folder
since the chunk began: with 0.1 s and 250 ms chunks, a lone job ran at 76 % of the kernel's
speed (bench/saturation.py). Here the ack or reject that frees a slot wakes the polling loop
at once. It comes from the prefork pool's result thread (Celery's ``call_soon_ack``), while
the consumer's thread sleeps in ``drain_events``. An empty queue is still polled every
``polling_interval``, so an idle worker costs what it did.
"""

import threading
import time
from queue import Empty
from typing import Any

from kombu import Connection
from kombu.transport import filesystem


class Channel(filesystem.Channel):
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
