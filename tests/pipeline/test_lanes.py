"""Turns between clients: a client with k jobs computes on one of its tickets' turns in k,
and only while other clients have jobs."""

import uuid

from pipeline.lanes import next_ticket_id, passes_turn


def ticket_chain(length: int) -> list[str]:
    # Ticket ids as a lane sends them: each derived from the one before, from a fixed head,
    # so the shares below are the same on every run.
    ids = [f"{uuid.UUID(int=length)}.d1.l0"]
    while len(ids) < length:
        ids.append(next_ticket_id("job", 1, ids[-1]))
    return ids


def test_a_client_with_k_jobs_computes_on_one_turn_in_k() -> None:
    for jobs in (2, 4):
        tickets = ticket_chain(4000)
        computed = sum(not passes_turn(t, jobs, jobs + 1) for t in tickets)
        assert abs(computed / len(tickets) - 1 / jobs) < 0.03, (jobs, computed)


def test_no_turn_is_passed_without_another_client_or_with_one_job() -> None:
    tickets = ticket_chain(200)
    assert not any(passes_turn(t, 4, 4) for t in tickets)  # nobody else has jobs
    assert not any(passes_turn(t, 1, 9) for t in tickets)  # its one job is its share
    # The same ticket delivered again decides the same way.
    assert [passes_turn(t, 3, 5) for t in tickets] == [passes_turn(t, 3, 5) for t in tickets]
