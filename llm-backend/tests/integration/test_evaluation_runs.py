"""Evaluation runs as jobs on real PostgreSQL, the fake model server playing tutor, simulated
student and judge: a full run, a judge that breaks its schema, re-judging, an existing
session, the status banner and bad input."""

from __future__ import annotations

import pytest

from database import session_scope
from evaluation.models.judgment import DIMENSIONS
from evaluation.services import runs
from shared.errors import BadRequestError, ConflictError, NotFoundError
from shared.jobs.dispatch import set_dispatcher
from shared.models.entities import LLMCall
from tests.support.book_jobs import HeldDispatcher, load_job
from tests.support.books import wait_jobs_idle
from tests.support.eval_runs import (
    OPENING,
    TUTOR_REPLY,
    EvalScript,
    broken_judgment,
    conversations,
    judgments,
    load_run,
)
from tests.support.evaluation import system_text
from tests.support.settings import use_settings
from tests.support.tutor import add_guideline, say, teach
from tutor.services import session_service

RIYA = [[6, 7, 5, 8, 6], [7, 7, 6, 8, 7], [8, 6, 7, 9, 5]]  # averages 6.4, 7.0, 7.0
PRIYA = [[4, 5, 6, 3, 5], [5, 5, 5, 5, 5], [3, 4, 5, 4, 4]]  # averages 4.6, 5.0, 4.0


def _start(gid: str, **options) -> str:
    with session_scope() as session:
        return runs.start_run(session=session, admin=None, guideline_id=gid, **options).id


def _detail(run_id: str):
    with session_scope() as session:
        return runs.get_run(session=session, run_id=run_id)


def _status():
    with session_scope() as session:
        return runs.current_status(session=session)


@pytest.fixture
def one_at_a_time(local_storage, db, fake_llm, monkeypatch):
    """Conversations in item order, so each persona's judge answers go to its repeats 1, 2, 3."""
    use_settings(monkeypatch, EVAL_CONCURRENCY=1)
    return fake_llm


def test_a_full_run_stores_transcripts_judgments_and_statistics(one_at_a_time):
    fake_llm = one_at_a_time
    script = EvalScript({"average_student": RIYA, "struggler": PRIYA})
    fake_llm.responder = script
    gid = add_guideline()

    run_id = _start(
        gid, persona_ids=["average_student", "struggler"], repeats=3, max_turns=2, seed=7
    )
    wait_jobs_idle()

    run = load_run(run_id)
    job = load_job(run.job_id)
    assert (job.status, job.book_id, job.completed_items, job.failed_items) == (
        "completed", None, 6, 0,
    )  # fmt: skip
    assert run.job_ids == [run.job_id]
    assert run.config["models"]["evaluator"] == {"provider": "openai", "model": "gpt-5.2"}
    rows = conversations(run_id)
    assert [(c.item, c.persona_id, c.repeat, c.seed, c.status) for c in rows] == [
        (1, "average_student", 1, 7001, "judged"),
        (2, "average_student", 2, 7002, "judged"),
        (3, "average_student", 3, 7003, "judged"),
        (4, "struggler", 1, 7004, "judged"),
        (5, "struggler", 2, 7005, "judged"),
        (6, "struggler", 3, 7006, "judged"),
    ]
    first = rows[0]
    assert [(m["role"], m["content"], m["turn"]) for m in first.messages] == [
        ("tutor", OPENING, 0),
        ("student", "my answer 1", 1),
        ("tutor", TUTOR_REPLY, 1),
        ("student", "my answer 2", 2),
        ("tutor", TUTOR_REPLY, 2),
    ]
    assert first.ended_reason == "max_turns" and first.error is None
    assert [d["turn"] for d in first.decisions] == [1, 2]
    assert len({c.session_id for c in rows}) == 6  # a tutor session each
    stored = judgments(run_id)
    assert {item: [j.avg_score for j in js] for item, js in stored.items()} == {
        1: [6.4], 2: [7.0], 3: [7.0], 4: [4.6], 5: [5.0], 6: [4.0],
    }  # fmt: skip
    assert stored[1][0].scores == dict(zip(DIMENSIONS, RIYA[0], strict=True))
    assert stored[1][0].dimension_analysis["pacing"] == "pacing was 8"
    assert script.counts == {"opening": 6, "simulator": 12, "tutor_turn": 12, "judge": 6}

    detail = _detail(run_id)
    summary = detail.summary
    assert (summary.status, summary.n_conversations, summary.n_judged, summary.n_failed) == (
        "complete", 6, 6, 0,
    )  # fmt: skip
    assert summary.avg_score == 5.67 and summary.message_count == 5
    assert summary.scores["responsiveness"] == round((6 + 7 + 8 + 4 + 5 + 3) / 6, 2)
    # Hand-computed: mean 34/6, sd 1.30026 (5 df), t(0.975, 5) = 2.570582.
    overall = detail.stats.overall
    assert overall.n == 6 and overall.mean == pytest.approx(34 / 6)
    assert overall.sd == pytest.approx(1.300256, abs=1e-5)
    assert (overall.low, overall.high) == (
        pytest.approx(34 / 6 - 1.364545, abs=1e-4),
        pytest.approx(34 / 6 + 1.364545, abs=1e-4),
    )
    riya = detail.stats.per_persona["average_student"]
    assert (riya.overall.mean, riya.overall.n) == (pytest.approx(6.8), 3)
    assert riya.per_dimension["pacing"].mean == pytest.approx((8 + 8 + 9) / 3)
    assert detail.stats.judge_noise is None  # k = 1
    assert detail.evaluation.avg_score == 6.4 and detail.evaluation.attempt == 1
    assert [m.content for m in detail.messages][:2] == [OPENING, "my answer 1"]
    assert detail.samples()["overall"] == [6.4, 7.0, 7.0, 4.6, 5.0, 4.0]
    assert _status().status == "complete"
    assert _status().detail == "6 of 6 conversations judged"

    # Every judge and simulator call is attributed to the run's job.
    with session_scope() as session:
        calls = session.query(LLMCall.component, LLMCall.job_id).all()
    by_component = {}
    for component, job_id in calls:
        by_component.setdefault(component, set()).add(job_id)
    assert by_component["eval_evaluator"] == {run.job_id}
    assert by_component["eval_simulator"] == {run.job_id}


def test_judge_noise_with_two_judgments_per_conversation(one_at_a_time):
    one_at_a_time.responder = EvalScript({"average_student": [[6] * 5, [7] * 5, [5] * 5, [5] * 5]})
    run_id = _start(add_guideline(), repeats=2, judge_repeats=2, max_turns=1, seed=1)
    wait_jobs_idle()

    stored = judgments(run_id)
    assert {item: [j.attempt for j in js] for item, js in stored.items()} == {1: [1, 2], 2: [1, 2]}
    detail = _detail(run_id)
    assert [c.avg_score for c in detail.conversations] == [6.5, 5.0]
    # Pooled within-conversation SD: sqrt((0.5 + 0) / (1 + 1)).
    assert detail.stats.judge_noise.sd == pytest.approx(0.5)
    assert detail.stats.judge_noise.n_conversations == 2


def test_a_judge_answer_broken_twice_fails_that_conversation_then_retry_judges_it(one_at_a_time):
    fake_llm = one_at_a_time
    script = EvalScript({"average_student": [broken_judgment(), broken_judgment(), [8] * 5]})
    fake_llm.responder = script
    run_id = _start(add_guideline(), repeats=2, max_turns=1, seed=3)
    wait_jobs_idle()

    run = load_run(run_id)
    job = load_job(run.job_id)
    assert (job.status, job.completed_items, job.failed_items) == ("completed", 1, 1)
    failed, judged = conversations(run_id)
    assert failed.status == "failed" and failed.error.startswith("Judge failed: ")
    assert failed.ended_reason == "max_turns" and len(failed.messages) == 3  # transcript kept
    assert judged.status == "judged"
    assert job.progress_detail.errors[0].item == 1
    detail = _detail(run_id)
    assert (detail.summary.status, detail.summary.n_failed, detail.summary.avg_score) == (
        "complete", 1, 8.0,
    )  # fmt: skip
    assert _status().detail == "1 of 2 conversations judged, 1 failed"
    simulated_before = (script.counts["opening"], script.counts["simulator"])

    script.scores["average_student"] = [[6] * 5]
    script.judged.clear()
    with session_scope() as session:
        retried = runs.retry_evaluation(session=session, run_id=run_id)
    wait_jobs_idle()

    assert retried.id == run_id and len(retried.job_ids) == 2
    retry_job = load_job(retried.job_id)
    assert (retry_job.status, retry_job.total_items, retry_job.completed_items) == (
        "completed", 1, 1,
    )  # fmt: skip
    assert retry_job.progress_detail.phase == "judge_only"
    assert [c.status for c in conversations(run_id)] == ["judged", "judged"]
    assert [c.error for c in conversations(run_id)] == [None, None]
    assert {i: [j.avg_score for j in js] for i, js in judgments(run_id).items()} == {
        1: [6.0], 2: [8.0],
    }  # fmt: skip
    # Re-judging never simulates again.
    assert (script.counts["opening"], script.counts["simulator"]) == simulated_before
    assert _detail(run_id).summary.avg_score == 7.0
    with pytest.raises(ConflictError, match="judged already"), session_scope() as session:
        runs.retry_evaluation(session=session, run_id=run_id)


def test_a_simulation_failure_is_an_item_error_the_run_goes_on(one_at_a_time, monkeypatch):
    use_settings(monkeypatch, LLM_MAX_ATTEMPTS=2)
    script = EvalScript({"average_student": [[7] * 5]}, fail_openings=2)
    one_at_a_time.responder = script
    run_id = _start(add_guideline(), repeats=2, max_turns=1, seed=5)
    wait_jobs_idle()

    first, second = conversations(run_id)
    assert (first.status, first.ended_reason, first.messages) == ("failed", None, [])
    assert first.error.startswith("Simulation failed: ")
    assert second.status == "judged"
    assert script.counts["judge"] == 1  # a failed simulation is never judged
    detail = _detail(run_id)
    assert (detail.summary.status, detail.summary.n_failed, detail.summary.n_judged) == (
        "complete", 1, 1,
    )  # fmt: skip
    assert detail.conversations[0].error == first.error
    # Retry only judges, and nothing simulated lacks a judgment: nothing to retry.
    with pytest.raises(ConflictError, match="judged already"), session_scope() as session:
        runs.retry_evaluation(session=session, run_id=run_id)
    # Resume runs the failed conversation again (the model is back); the judged one is kept.
    resumed_script = EvalScript({"average_student": [[4] * 5]})
    one_at_a_time.responder = resumed_script
    with session_scope() as session:
        runs.resume_run(session=session, run_id=run_id)
    wait_jobs_idle()
    assert [(c.status, c.ended_reason) for c in conversations(run_id)] == [
        ("judged", "max_turns"),
        ("judged", second.ended_reason),
    ]
    assert resumed_script.counts["judge"] == 1  # only the conversation that had failed
    assert [c.avg_score for c in _detail(run_id).conversations] == [4.0, 7.0]
    with pytest.raises(ConflictError, match="nothing to resume"), session_scope() as session:
        runs.resume_run(session=session, run_id=run_id)

    one_at_a_time.responder = EvalScript({"average_student": [[7] * 5]}, fail_openings=2)
    nothing = _start(add_guideline(), max_turns=1, seed=6)
    wait_jobs_idle()
    with pytest.raises(BadRequestError, match="no stored transcript"), session_scope() as s:
        runs.retry_evaluation(session=s, run_id=nothing)


def test_evaluating_an_existing_session_judges_its_transcript(local_storage, db, fake_llm):
    gid = add_guideline()
    fake_llm.push(say("Hello! What is 1/2 of 8?"), teach("right", "Yes, 4. Next: 1/3 of 9?"))
    with session_scope() as session:
        created = session_service.create_session(
            session=session,
            owner=None,
            guideline_id=gid,
            mode="teach_me",
            exam_questions=3,
            student={"grade": 5},
            goal={},
        )
        session_service.step(session=session, row=created.row, message="4")
        session_id = created.row.id
    fake_llm.reset()
    script = EvalScript({"real": [[9, 8, 7, 8, 9]]})
    fake_llm.responder = script

    with session_scope() as session:
        run = runs.start_session_evaluation(session=session, admin=None, session_id=session_id)
    wait_jobs_idle()

    (row,) = conversations(run.id)
    assert (row.persona_id, row.session_id, row.status, row.ended_reason) == (
        None, session_id, "judged", "existing_session",
    )  # fmt: skip
    assert [(m["role"], m["content"], m["turn"]) for m in row.messages] == [
        ("tutor", "Hello! What is 1/2 of 8?", 0),
        ("student", "4", 1),
        ("tutor", "Yes, 4. Next: 1/3 of 9?", 1),
    ]
    assert script.counts == {"judge": 1}  # no simulation, no tutor call
    judge_request = next(r.body for r in fake_llm.requests)
    detail = _detail(run.id)
    assert (detail.summary.source, detail.summary.source_session_id) == (
        "existing_session", session_id,
    )  # fmt: skip
    assert detail.summary.avg_score == 8.2 and detail.summary.status == "complete"
    assert detail.summary.topic_name == "Equivalent fractions (Fractions)"
    assert "a real student; no profile is known" in system_text(judge_request)
    assert "How to teach Equivalent fractions." in system_text(judge_request)

    assert detail.config["models"] == {"evaluator": {"provider": "openai", "model": "gpt-5.2"}}

    with pytest.raises(NotFoundError, match="Session not found: nope"), session_scope() as s:
        runs.start_session_evaluation(session=s, admin=None, session_id="nope")
    fake_llm.push(say("Hello again!"))
    with session_scope() as session:
        silent = session_service.create_session(
            session=session,
            owner=None,
            guideline_id=gid,
            mode="teach_me",
            exam_questions=3,
            student={"grade": 5},
            goal={},
        ).row.id
    with pytest.raises(BadRequestError, match="no student message"), session_scope() as s:
        runs.start_session_evaluation(session=s, admin=None, session_id=silent)
    assert len(_list()) == 1


def test_status_follows_the_newest_active_run(local_storage, db, fake_llm):
    held = HeldDispatcher()
    set_dispatcher(held)
    assert _status().status == "idle"
    gid = add_guideline()
    first = _start(gid, seed=1)
    second = _start(gid, seed=2, max_turns=3)  # no one-run limit: both are pending

    status = _status()
    assert (status.status, status.run_id, status.detail, status.max_turns) == (
        "loading_persona", second, "Initializing...", 3,
    )  # fmt: skip
    assert {load_job(load_run(r).job_id).status for r in (first, second)} == {"pending"}
    with pytest.raises(ConflictError, match="still pending"), session_scope() as session:
        runs.retry_evaluation(session=session, run_id=first)
    listed = [s.run_id for s in _list()]
    assert listed == [second, first]


def _list():
    with session_scope() as session:
        return runs.list_runs(session=session)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"persona_ids": ["nobody"]}, "Unknown persona 'nobody'"),
        ({"persona_ids": []}, "at least one persona"),
        ({"persona_ids": ["ace", "ace"]}, "listed twice: ace"),
        ({"repeats": 0}, "repeats must be between 1 and 20"),
        ({"judge_repeats": 6}, "judge_repeats must be between 1 and 5"),
        ({"max_turns": 41}, "max_turns must be between 1 and 40"),
        ({"mode": "lecture"}, "Unknown mode 'lecture'"),
        ({"seed": -1}, "seed must be between 0"),
        ({"persona_ids": ["ace", "struggler"], "repeats": 51}, "repeats must be between"),
    ],
)
def test_bad_options_are_400s_that_store_nothing(local_storage, db, options, message):
    gid = add_guideline()
    with pytest.raises(BadRequestError, match=message), session_scope() as session:
        runs.start_run(session=session, admin=None, guideline_id=gid, **options)
    assert _list() == []


def test_unknown_ids_are_404s(local_storage, db):
    gid = add_guideline(review_status="TO_BE_REVIEWED")
    with pytest.raises(NotFoundError, match=f"Guideline not found: {gid}"), session_scope() as s:
        runs.start_run(session=s, admin=None, guideline_id=gid)
    for call in (runs.get_run, runs.retry_evaluation, runs.resume_run):
        with pytest.raises(NotFoundError, match="Run not found: run_x"), session_scope() as s:
            call(session=s, run_id="run_x")
