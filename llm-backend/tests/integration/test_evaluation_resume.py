"""Evaluation runs under concurrency and crashes: several runs at once, a run's conversations
in parallel, the live status, and a worker killed with SIGKILL that resumes without repeating
a finished conversation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from database import session_scope
from evaluation.services import runs
from shared.errors import ConflictError
from shared.jobs import lifecycle
from shared.jobs.dispatch import set_dispatcher
from tests.support.book_jobs import HeldDispatcher, age_heartbeat, load_job
from tests.support.books import wait_for, wait_jobs_idle
from tests.support.eval_runs import EvalScript, conversations, judgments, load_run
from tests.support.settings import use_settings
from tests.support.tutor import add_guideline

BACKEND_DIR = Path(__file__).resolve().parents[2]


def _start(gid: str, **options) -> str:
    with session_scope() as session:
        return runs.start_run(session=session, admin=None, guideline_id=gid, **options).id


def _status():
    with session_scope() as session:
        return runs.current_status(session=session)


def test_several_runs_are_active_at_once(local_storage, db, fake_llm, monkeypatch):
    use_settings(monkeypatch, EVAL_CONCURRENCY=1)
    barrier = threading.Barrier(3, timeout=30)
    met: list[int] = []
    script = EvalScript({"average_student": [[5] * 5]})
    script.on_opening = lambda: met.append(barrier.wait())
    fake_llm.responder = script
    gid = add_guideline()

    ids = [_start(gid, max_turns=1, seed=seed) for seed in (1, 2, 3)]
    wait_jobs_idle()

    assert sorted(met) == [0, 1, 2]  # the three runs' first tutor calls were in flight together
    jobs = [load_job(load_run(i).job_id) for i in ids]
    assert [(j.status, j.book_id) for j in jobs] == [("completed", None)] * 3
    assert len({j.id for j in jobs}) == 3
    assert [[c.status for c in conversations(i)] for i in ids] == [["judged"]] * 3


def test_a_runs_conversations_run_in_parallel(local_storage, db, fake_llm, monkeypatch):
    use_settings(monkeypatch, EVAL_CONCURRENCY=4)
    barrier = threading.Barrier(4, timeout=30)
    met: list[int] = []
    script = EvalScript({"average_student": [[6] * 5], "struggler": [[4] * 5]})
    script.on_opening = lambda: met.append(barrier.wait())
    fake_llm.responder = script

    run_id = _start(
        add_guideline(), persona_ids=["average_student", "struggler"], repeats=2, max_turns=2
    )
    wait_jobs_idle()

    assert sorted(met) == [0, 1, 2, 3]
    rows = conversations(run_id)
    assert [(c.persona_id, c.status, len(c.messages)) for c in rows] == [
        ("average_student", "judged", 5),
        ("average_student", "judged", 5),
        ("struggler", "judged", 5),
        ("struggler", "judged", 5),
    ]
    assert {i: [j.avg_score for j in js] for i, js in judgments(run_id).items()} == {
        1: [6.0], 2: [6.0], 3: [4.0], 4: [4.0],
    }  # fmt: skip
    job = load_job(load_run(run_id).job_id)
    assert (job.completed_items, job.last_completed_item, job.current_item) == (4, 4, None)


def test_the_status_names_the_conversation_being_simulated(local_storage, db, fake_llm):
    arrived, gate = threading.Event(), threading.Event()
    script = EvalScript({"average_student": [[7] * 5]})
    script.on_opening = lambda: (arrived.set(), gate.wait(30))
    fake_llm.responder = script
    run_id = _start(add_guideline(), max_turns=2, seed=4)
    try:
        assert arrived.wait(30)
        status = _status()
    finally:
        gate.set()
    wait_jobs_idle()

    assert (status.status, status.run_id, status.turn, status.max_turns, status.error) == (
        "running_session", run_id, 0, 2, None,
    )  # fmt: skip
    assert status.detail == "Conversation 1 of 1 (Riya #1): turn 0/2"
    assert _status().status == "complete"


def test_the_transcript_so_far_is_stored_at_every_turn(local_storage, db, fake_llm):
    arrived, gate = threading.Event(), threading.Event()
    script = EvalScript({"average_student": [[7] * 5]})

    def hold_second_turn(number: int) -> None:
        if number == 2:
            arrived.set()
            gate.wait(30)

    script.on_tutor_turn = hold_second_turn
    fake_llm.responder = script
    run_id = _start(add_guideline(), max_turns=3, seed=4)
    try:
        assert arrived.wait(30)
        (during,) = conversations(run_id)
        status = _status()
    finally:
        gate.set()
    wait_jobs_idle()

    assert (during.status, during.ended_reason) == ("running", None)
    assert [(m["role"], m["turn"]) for m in during.messages] == [
        ("tutor", 0), ("student", 1), ("tutor", 1),
    ]  # fmt: skip
    assert (status.status, status.turn, status.detail) == (
        "running_session", 1, "Conversation 1 of 1 (Riya #1): turn 1/3",
    )  # fmt: skip
    (after,) = conversations(run_id)
    assert (after.status, len(after.messages)) == ("judged", 7)


def test_a_killed_worker_resumes_without_repeating_finished_conversations(
    local_storage, db, fake_llm, monkeypatch
):
    use_settings(monkeypatch, EVAL_CONCURRENCY=1, JOB_HEARTBEAT_SECONDS=0.2)
    script = EvalScript({"average_student": [[6] * 5], "struggler": [[4] * 5]}, delay=0.15)
    fake_llm.responder = script
    set_dispatcher(HeldDispatcher())
    run_id = _start(
        add_guideline(),
        persona_ids=["average_student", "struggler"],
        repeats=2,
        max_turns=2,
        seed=11,
    )
    job_id = load_run(run_id).job_id
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.support.run_job", job_id, "evaluation"],
        cwd=BACKEND_DIR,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: sum(c.status == "judged" for c in conversations(run_id)) >= 2, timeout=60)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)

    before = {c.item: c for c in conversations(run_id)}
    judged = {i for i, c in before.items() if c.status == "judged"}
    transcribed = {i for i, c in before.items() if c.ended_reason is not None}
    kept = judgments(run_id)
    assert 2 <= len(judged) < 4
    assert load_job(job_id).status == "running"  # nobody knows yet that the worker is gone
    assert _status().status in ("running_session", "evaluating")

    use_settings(monkeypatch, JOB_STALE_SECONDS=1)
    wait_for(lambda: _status().status == "failed", timeout=30, every=0.2)
    assert _status().error == lifecycle.stale_message(1)
    counts = dict(script.counts)

    set_dispatcher(None)  # the local executor runs the resumed job
    with session_scope() as session:
        resumed = runs.resume_run(session=session, run_id=run_id)
    wait_jobs_idle()

    left = sorted(set(before) - judged)
    new_job = load_job(resumed.job_id)
    assert resumed.job_ids == [job_id, new_job.id]
    assert (new_job.status, new_job.total_items, new_job.completed_items) == (
        "completed", len(left), len(left),
    )  # fmt: skip
    assert new_job.progress_detail.items == left
    after = {c.item: c for c in conversations(run_id)}
    assert [c.status for c in after.values()] == ["judged"] * 4
    for item in judged:  # untouched: same tutor session, transcript and judgment rows
        assert after[item].session_id == before[item].session_id
        assert after[item].messages == before[item].messages
        assert [j.id for j in judgments(run_id)[item]] == [j.id for j in kept[item]]
    # Only the unfinished conversations met the models again.
    assert script.counts["opening"] - counts["opening"] == 4 - len(transcribed)
    # (A judgment stored just before the kill, before its checkpoint, is kept and not redone.)
    assert script.counts["judge"] - counts["judge"] == len([i for i in left if i not in kept])
    assert {i: [j.avg_score for j in js] for i, js in judgments(run_id).items()} == {
        1: [6.0], 2: [6.0], 3: [4.0], 4: [4.0],
    }  # fmt: skip
    assert _status().status == "complete"


def test_two_resumes_at_once_start_one_job(local_storage, db, fake_llm, monkeypatch):
    held = HeldDispatcher()
    set_dispatcher(held)
    run_id = _start(add_guideline(), max_turns=1, seed=8)
    first_job = load_run(run_id).job_id
    # The job's message was lost: its heartbeat (set when it was queued) goes stale.
    use_settings(monkeypatch, JOB_STALE_SECONDS=1)
    age_heartbeat(first_job, 60)
    assert _status().status == "failed"

    barrier = threading.Barrier(2, timeout=30)
    outcomes: list[str] = []

    def resume() -> None:
        barrier.wait()
        try:
            with session_scope() as session:
                runs.resume_run(session=session, run_id=run_id)
            outcomes.append("started")
        except ConflictError as exc:
            outcomes.append(exc.message)

    threads = [threading.Thread(target=resume) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    run = load_run(run_id)
    assert sorted(outcomes) == [
        f"Run {run_id} is still pending; wait for it to finish.",
        "started",
    ]
    assert len(run.job_ids) == 2 and run.job_ids[0] == first_job
    assert [m.job_id for m in held.messages] == run.job_ids
