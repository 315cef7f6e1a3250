"""Chords joined through marker files, without polling.

Celery's stock ``file://`` backend cannot count a chord's finished header tasks, so every chord
waits for ``celery.chord_unlock``, which polls once a second (Celery #1544, #2725, #9674).
Here the task that finishes a chord's last header task starts the body itself:

* each finished header task leaves a marker named after its task id, holding its result, so
  a task delivered twice counts once (a plain counter would fire the body early) and the
  body's arguments are read from the markers, as Celery's Redis backend reads them from the
  chord's own keys: header tasks need not store their results, and the group itself is only
  saved when its members are groups, to be joined in their shape;
* the task that sees every marker creates ``fired`` with ``O_CREAT|O_EXCL``; only the
  one that created it sends the body, so the body is sent at most once per chord;
* a chord of a single task (nothing added) runs its body in place, in the process of that
  task, instead of sending it: for a small body the message's round trip (a confirmed
  publish, a delivery, a task start, an ack) costs more than the body. The runner holds a
  lock on ``fired`` until ``ran`` exists, so a delivery of the task that finds the lock free
  and no ``ran`` knows the runner died, and runs the body itself (its message is still
  unacknowledged: acks are late). A body that ran partly, or that a worker of an earlier
  version also sent, may so run twice, which a Celery task delivered twice must bear anyway;
* a running member may grow the chord (``Task.add_to_chord``, Celery's API for it, which
  only the Redis backend implements otherwise): the new member leaves an ``added`` marker
  before it is sent, and the chord waits for it too. A member is always added by a member
  that has not returned yet, so the chord cannot fire between the two.
"""

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from celery import Celery, states
from celery.backends.base import KeyValueStoreBackend
from celery.exceptions import ChordError
from celery.result import GroupResult, allow_join_result

from storage.atomic import create_exclusive, make_marker, try_locked, write_bytes_atomic
from storage.key_names import file_name
from storage.removal import remove_tree

logger = logging.getLogger(__name__)


class ChordJoiningBackend(KeyValueStoreBackend):
    """A key/value result backend whose chords join in ``_chords``, a folder per chord."""

    app: Celery
    supports_native_join = True
    implements_incr = False
    _chords: Path

    def _delete_group(self, group_id: str) -> None:
        self.delete(self.get_key_for_group(group_id))
        remove_tree(self._chord_dir(group_id))

    def _chord_dir(self, group_id: str) -> Path:
        return self._chords / file_name(group_id)

    def apply_chord(self, header_result_args: Any, body: Any, **kwargs: Any) -> None:
        self.ensure_chords_allowed()
        header_result = self.app.GroupResult(*header_result_args)
        assert header_result.id is not None  # chord.run always names the group
        members = list(header_result.results or ())
        if any(isinstance(member, GroupResult) for member in members):
            header_result.save(backend=self)
        # Before any member is sent: a member that returns finds the size it counts up to.
        chord_dir = self._chord_dir(header_result.id)
        chord_dir.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(chord_dir / "size", str(len(members)).encode(), durable=False)

    def add_to_chord(self, chord_id: str, result: Any) -> None:
        make_marker(self._chord_dir(chord_id) / "added" / file_name(result.id), make_folder=True)

    def in_chord(self, group_id: str, task_id: str) -> bool:
        """Whether ``add_to_chord`` added ``task_id`` to the group: a lane ticket delivered
        again learns that an earlier delivery added its next ticket, maybe without sending it."""
        return (self._chord_dir(group_id) / "added" / file_name(task_id)).exists()

    def on_chord_part_return(self, request: Any, state: str, result: Any, **kwargs: Any) -> None:
        group_id = request.group
        if not group_id or not request.chord:
            return
        chord_dir = self._chord_dir(group_id)
        done = chord_dir / "done"
        done.mkdir(parents=True, exist_ok=True)
        if state in states.PROPAGATE_STATES:
            # Apart from the marker: a saved group's join does not see added members.
            reason = f"chunk {request.id} raised {result!r}"
            write_bytes_atomic(chord_dir / "failed", reason.encode(), durable=False)
        returned = self.encode([request.group_index, state, self.encode_result(result, state)])
        marker = returned.encode() if isinstance(returned, str) else returned
        write_bytes_atomic(done / file_name(request.id), marker, durable=False)

        size = request.chord.get("chord_size") or int((chord_dir / "size").read_text())
        with contextlib.suppress(FileNotFoundError):
            size += len(os.listdir(chord_dir / "added"))
        members = _returned_names(done)
        finished = len(members)
        if finished < size:
            return
        if finished > size:
            logger.warning(
                "chord %s has %d finished tasks for %d expected", group_id, finished, size
            )
        if size == 1:
            self._fire_in_place(group_id, request, members)
        elif create_exclusive(chord_dir / "fired"):
            self._fire(group_id, request, members)
        # else another task, or an earlier delivery of this one, already fired it

    def _fire_in_place(self, group_id: str, request: Any, members: list[str]) -> None:
        """Run the body of a chord of one task here, unless another delivery of the task runs
        it now or ran it: at most once, except after its runner died."""
        chord_dir = self._chord_dir(group_id)
        with try_locked(chord_dir / "fired") as free:
            if not free or (chord_dir / "ran").exists():
                return
            self._fire(group_id, request, members, in_place=True)
            create_exclusive(chord_dir / "ran")

    def _fire(
        self, group_id: str, request: Any, members: list[str], *, in_place: bool = False
    ) -> None:
        """Start the chord's body on its members' results; ``members``: the names of their
        markers, as the caller just listed them (a listing costs ~0.5 ms at 2,048)."""
        from celery.canvas import maybe_signature

        callback = maybe_signature(request.chord, app=self.app)
        assert callback is not None
        failed = self._chord_dir(group_id) / "failed"
        if failed.exists():
            reason = failed.read_text()
            logger.warning("chord %s failed: %s", group_id, reason)
            try:  # raised, so that Celery's error report has a traceback to read
                raise ChordError(reason)
            except ChordError as exc:
                self.chord_error_from_stack(callback, exc)
            return
        # A saved group is joined from its members' stored results: one whose members are
        # groups, or one sent by a version that saved every group (and stored every result).
        deps = GroupResult.restore(group_id, backend=self)
        try:
            if deps is None:
                values = self._returned_values(group_id, members)
            else:
                with allow_join_result():
                    values = deps.join_native(
                        timeout=self.app.conf.result_chord_join_timeout, propagate=True
                    )
        except Exception as exc:
            reason = str(exc) if deps is None else _join_failure(deps, exc)
            logger.warning("chord %s failed: %s", group_id, reason)
            self.chord_error_from_stack(callback, ChordError(reason))
            return
        try:
            if in_place:
                # Traced as the worker traces a task (signals, on_failure); its failure is
                # its own to report, not the chord's.
                callback.apply(args=(values,), throw=False)
            else:
                # The same retrying publish Celery uses for its own chord bodies.
                self.app.amqp._retry_publish(callback.delay, values)  # type: ignore[attr-defined]
        except Exception as exc:
            logger.exception("chord %s could not start its body", group_id)
            self.chord_error_from_stack(callback, ChordError(f"could not start the body: {exc!r}"))

    def _returned_values(self, group_id: str, names: list[str]) -> list[Any]:
        """The results the chord's members left in their markers ``names``, in the header's order
        (a member added while the chord ran carries its adder's index), then by id."""
        done = self._chord_dir(group_id) / "done"
        returned = []
        for name in names:
            data = (done / name).read_bytes()
            if not data:
                raise ChordError(
                    f"member {name} left an empty marker: either a worker of an earlier "
                    "version returned it (upgrade every worker before the API) or a crash cut "
                    "its write short; the stall sweep sends the job again"
                )
            index, state, result = self.decode(data)
            if state in states.PROPAGATE_STATES:
                raise ChordError(f"chunk {name} raised {self.exception_to_python(result)!r}")
            returned.append((index is None, index or 0, name, result))
        return [result for *_, result in sorted(returned, key=lambda part: part[:3])]


def _join_failure(deps: GroupResult, exc: Exception) -> str:
    culprit = next(deps._failed_join_report(), None)  # type: ignore[attr-defined]
    return f"chunk {culprit.id} raised {exc!r}" if culprit else repr(exc)


def _returned_names(done: Path) -> list[str]:
    """The members whose return ``done`` holds a marker of (not the files being written)."""
    return [name for name in os.listdir(done) if not name.startswith(".")]
