"""The embedded broker's transport takes the next message as soon as an ack frees a slot."""

import threading
import time
from pathlib import Path
from queue import Empty

from kombu import Connection, Message, Queue

from pipeline.celery_config import EMBEDDED_BROKER_URL, EMBEDDED_TRANSPORT

# Far longer than the test waits: a delivery within it came from the wake, not from a poll.
POLLING_INTERVAL = 60.0


def _connection(folder: Path) -> Connection:
    return Connection(
        EMBEDDED_BROKER_URL,
        transport=EMBEDDED_TRANSPORT,
        transport_options={
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(folder / "control"),
            "store_processed": False,
            "polling_interval": POLLING_INTERVAL,
        },
    )


def test_an_ack_from_another_thread_delivers_the_waiting_message_at_once(tmp_path: Path) -> None:
    queue = Queue("lanes")
    received: list[Message] = []
    with _connection(tmp_path) as connection:
        producer = connection.Producer()
        for body in ("first", "second"):
            producer.publish(body, routing_key="lanes", declare=[queue])
        channel = connection.channel()
        channel.basic_qos(prefetch_size=0, prefetch_count=1, apply_global=False)
        consumer = connection.Consumer(
            queue, channel=channel, callbacks=[lambda _b, m: received.append(m)]
        )
        with consumer:
            connection.drain_events(timeout=5)
            assert len(received) == 1
            # The slot is taken: the second message waits for this ack, which comes from
            # another thread while drain_events sleeps, as the pool's result thread does.
            acker = threading.Timer(0.2, received[0].ack)
            acker.start()
            started = time.monotonic()
            connection.drain_events(timeout=POLLING_INTERVAL / 2)
            waited = time.monotonic() - started
            acker.join()
    assert sorted(m.payload for m in received) == ["first", "second"]
    assert waited < POLLING_INTERVAL / 4


def test_a_consumer_never_takes_a_message_before_it_is_whole(tmp_path: Path) -> None:
    """A consumer taking files as fast as they appear while big messages are published:
    kombu's own transport let it take a file between its creation and its write (an empty
    read, a JSONDecodeError, a lost message and a consumer that stopped)."""
    queue = Queue("tiny")
    body = "x" * 4_000_000  # long enough to write that a consumer can come in between
    count = 40
    received: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()
    with _connection(tmp_path) as connection:
        connection.Producer().publish("warm-up", routing_key="tiny", declare=[queue])
        channel = connection.default_channel

        def consume() -> None:
            while not done.is_set() or len(received) < count + 1:
                try:
                    message = channel._get("tiny")
                except Empty:
                    if done.is_set() and len(received) >= count + 1:
                        return
                    continue
                except BaseException as exc:
                    errors.append(exc)
                    return
                received.append(len(message["body"]))

        consumer = threading.Thread(target=consume)
        consumer.start()
        producer = connection.Producer()
        for _ in range(count):
            producer.publish(body, routing_key="tiny")
        done.set()
        consumer.join(timeout=60)
    assert errors == []
    assert len(received) == count + 1
