"""Which chunks of one dispatch are taken, handed out one at a time to whoever runs next.

A dispatch names the chunks it covers (``open``; a book may open itself at its first claim,
as the first dispatch's does); each lane ticket that runs claims one
(``claim``), so a fast process takes more chunks than a slow one and a process that joins
mid-job takes the next one like any other. The book is a cursor into the dispatch's chunks
plus the claimed ones not yet seen finished. A claim holds the chunk's lock from the moment
it is made until the claimer lets go, so a claimed, unfinished chunk whose lock is free
lost its claimer (the kernel drops a dead process's lock): the next claim takes it first.

Claims are made under the book's own lock, and the chunk lock is taken without waiting while
it is held, so two claimers never take the same chunk and neither ever blocks on a chunk.
"""

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from storage.atomic import lock_nowait, locked, make_marker, try_locked, write_bytes_atomic


class ClaimBook(BaseModel):
    """The chunks of one dispatch, in the order they are handed out."""

    indices: list[int]
    # indices[:cursor] were handed out at least once.
    cursor: int = 0
    # Handed out and not yet seen finished: finished, running, or lost with their claimer.
    open: list[int] = []


@dataclass(frozen=True)
class Claim:
    index: int
    # Chunks remain for another claim after this one (unclaimed, or lost by a claimer).
    more: bool


class TicketRun:
    """The running delivery of a lane ticket. A ticket computes one chunk at most, whatever
    the number of its deliveries: a ticket sent twice, or delivered again after it computed
    (its worker died before the ack), must not claim another chunk once the chord has
    counted it, or the chord could fire while that chunk still computes."""

    def __init__(self, marker: Path) -> None:
        self._marker = marker

    @property
    def done(self) -> bool:
        """An earlier delivery computed this ticket's chunk."""
        return self._marker.exists()

    def finish(self) -> None:
        make_marker(self._marker)


class Claims:
    """The claim book of one dispatch of one job. ``chunk_lock`` names a chunk's lock file
    and ``finished`` says whether a chunk's stored record is finished (both the store's)."""

    def __init__(
        self,
        book: Path,
        chunk_lock: Callable[[int], Path],
        finished: Callable[[int], bool],
        opens_itself: Callable[[], list[int]] | None = None,
    ) -> None:
        self._book = book
        self._lock = book.with_suffix(".lock")
        self._chunk_lock = chunk_lock
        self._finished = finished
        # The chunks of a book that nobody opens: its first claim opens it with these.
        self._opens_itself = opens_itself

    def open(self, indices: list[int]) -> None:
        """Start the book with the dispatch's chunks (fsynced: lane tickets are sent next)."""
        self._book.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(self._book, ClaimBook(indices=indices).model_dump_json().encode())

    def exists(self) -> bool:
        return self._book.is_file()

    def read(self) -> ClaimBook | None:
        try:
            return ClaimBook.model_validate_json(self._book.read_bytes())
        except FileNotFoundError:
            return None

    def unclaimed_left(self) -> bool:
        """Whether chunks remain that nobody has claimed yet (read without the book's lock:
        a passing look, for a ticket deciding whether to wait its turn)."""
        book = self.read()
        if book is None:
            return self._opens_itself is not None and bool(self._opens_itself())
        return book.cursor < len(book.indices)

    @contextlib.contextmanager
    def ticket(self, ticket_id: str) -> Iterator[TicketRun | None]:
        """Held while one delivery of a lane ticket runs; None when another delivery of the
        same ticket holds it now (a broker redelivered it while the first lives on, or the
        first's process is dying), which must then not return: the chord counts a ticket
        once, by its id, and must not count it before the delivery that is computing has
        finished."""
        name = hashlib.sha256(ticket_id.encode()).hexdigest()[:32]
        folder = self._book.with_suffix(".tickets")
        folder.mkdir(parents=True, exist_ok=True)
        with try_locked(folder / name) as alone:
            yield TicketRun(folder / f"{name}.done") if alone else None

    @contextlib.contextmanager
    def claim(self) -> Iterator[Claim | None]:
        """The next chunk to compute, its lock held until the block ends; None when every
        chunk of the dispatch is finished or held by a live claimer."""
        held: int | None = None
        claim: Claim | None = None
        if self._opens_itself is None and not self.exists():
            yield None
            return
        self._book.parent.mkdir(parents=True, exist_ok=True)
        try:
            with locked(self._lock):
                book = self.read()
                if book is None and self._opens_itself is not None:
                    book = ClaimBook(indices=self._opens_itself())
                if book is None:
                    yield None
                    return
                claim, held = self._take(book)
            yield claim
        finally:
            if held is not None:
                os.close(held)

    def _take(self, book: ClaimBook) -> tuple[Claim | None, int | None]:
        """Pick under the book's lock: a lost chunk first, then the next unclaimed one."""
        still_open: list[int] = []
        chosen: int | None = None
        held: int | None = None
        lost_left = False
        try:
            for index in book.open:
                fd = lock_nowait(self._chunk_lock(index))
                if fd is None:  # its claimer is computing it
                    still_open.append(index)
                elif self._finished(index):
                    os.close(fd)
                elif held is None:
                    chosen, held = index, fd
                    still_open.append(index)
                else:
                    os.close(fd)
                    still_open.append(index)
                    lost_left = True
            cursor = book.cursor
            while held is None and cursor < len(book.indices):
                index = book.indices[cursor]
                cursor += 1
                fd = lock_nowait(self._chunk_lock(index))
                if fd is None:
                    # Computed by a duplicate outside this book (an older dispatch's message):
                    # kept open, so it is taken over if that one dies.
                    still_open.append(index)
                elif self._finished(index):
                    os.close(fd)
                else:
                    chosen, held = index, fd
                    still_open.append(index)
            changed = book.model_copy(update={"cursor": cursor, "open": still_open})
            if changed != book:
                # Lost with a crash, a claim is only made again: duplicates are harmless.
                write_bytes_atomic(self._book, changed.model_dump_json().encode(), durable=False)
        except BaseException:
            # Whatever fails here (the book's write on a full disk) must not leave the chosen
            # chunk's lock held by a live process, or no claim could ever take it again.
            if held is not None:
                os.close(held)
            raise
        if chosen is None:
            return None, held
        more = cursor < len(book.indices) or lost_left
        return Claim(index=chosen, more=more), held
