"""Pricing recorded LLM calls (shared.llm.prices) and the migration that seeds llm_prices."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from database import session_scope
from db import run_migrations
from shared.llm import prices
from shared.models.base import utcnow
from shared.models.entities import LLMCall
from tests.support.app_database import use_database


def _call(component, provider, model, tokens, *, job_id=None, session_id=None) -> LLMCall:
    return LLMCall(
        component=component,
        provider=provider,
        model=model,
        started_at=utcnow(),
        latency_ms=5,
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        outcome="ok",
        job_id=job_id,
        session_id=session_id,
    )


def test_usage_of_jobs_and_sessions_is_grouped_and_priced(db):
    with session_scope() as session:
        session.add_all(
            [
                _call("eval_simulator", "openai", "gpt-5.2", (1000, 100), job_id="job-1"),
                _call("eval_simulator", "openai", "gpt-5.2", (3000, 300), job_id="job-2"),
                _call("eval_evaluator", "openai", "gpt-5.2", (20000, 2000), job_id="job-1"),
                # A tutor call of one of the run's sessions, and one made by the job as well:
                # counted once.
                _call("tutor", "openai", "gpt-5.2", (500, 50), session_id="s-1"),
                _call("tutor", "openai", "gpt-5.2", (700, None), job_id="job-1", session_id="s-1"),
                _call("tutor", "anthropic", "claude-x", (10, 20), session_id="s-1"),
                # Not this run's.
                _call("tutor", "openai", "gpt-5.2", (9999, 9999), session_id="other"),
                _call("eval_evaluator", "openai", "gpt-5.2", (9999, 9999), job_id="job-3"),
            ]
        )

    with session_scope() as session:
        usage = prices.calls_usage(session=session, job_ids=["job-1", "job-2"], session_ids=["s-1"])
        cost = prices.price_usage(session=session, usage=usage)

    table = [(r.component, r.model, r.calls, r.input_tokens, r.output_tokens) for r in usage]
    assert table == [
        ("eval_evaluator", "gpt-5.2", 1, 20000, 2000),
        ("eval_simulator", "gpt-5.2", 2, 4000, 400),
        ("tutor", "claude-x", 1, 10, 20),
        ("tutor", "gpt-5.2", 2, 1200, 50),
    ]
    dollars = {(r.component, r.model): (r.input_usd, r.output_usd, r.total_usd) for r in cost.rows}
    # gpt-5.2: $1.75 in, $14 out per million tokens.
    assert dollars[("eval_evaluator", "gpt-5.2")] == (0.035, 0.028, 0.063)
    assert dollars[("eval_simulator", "gpt-5.2")] == (0.007, 0.0056, 0.0126)
    assert dollars[("tutor", "gpt-5.2")] == (0.0021, 0.0007, 0.0028)
    assert dollars[("tutor", "claude-x")] == (None, None, None)
    assert cost.total_usd == 0.0784  # 0.063 + 0.0126 + 0.0028; the unpriced model excluded
    assert [(m.provider, m.model) for m in cost.missing_prices] == [("anthropic", "claude-x")]


def test_no_jobs_and_no_sessions_cost_nothing(db):
    with session_scope() as session:
        session.add(_call("tutor", "openai", "gpt-5.2", (10, 10), job_id=None, session_id=None))
    with session_scope() as session:
        usage = prices.calls_usage(session=session, job_ids=[], session_ids=[])
        cost = prices.price_usage(session=session, usage=usage)

    assert usage == []
    assert (cost.rows, cost.total_usd, cost.missing_prices) == ([], 0.0, [])


def test_a_price_change_reprices_at_once(db):
    with session_scope() as session:
        session.add(_call("tutor", "openai", "gpt-5.2", (2_000_000, 0), session_id="s"))
    with session_scope() as session:
        prices.set_price(
            session=session,
            provider="openai",
            model="gpt-5.2",
            input_per_million_usd=0.5,
            output_per_million_usd=1,
            updated_by="ops",
        )
        usage = prices.calls_usage(session=session, job_ids=[], session_ids=["s"])
        assert prices.price_usage(session=session, usage=usage).total_usd == 1.0


def _prices(engine) -> dict[tuple[str, str], tuple[float, float, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT provider, model, input_per_million_usd, output_per_million_usd, "
                "updated_by FROM llm_prices"
            )
        ).all()
    return {(p, m): (i, o, by) for p, m, i, o, by in rows}


def test_migration_seeds_missing_prices_and_keeps_an_admins(fresh_database):
    use_database(fresh_database)
    engine = create_engine(fresh_database)
    try:
        first = run_migrations(engine)
        seeded = _prices(engine)
        assert seeded[("openai", "gpt-5.2")] == (1.75, 14.0, "migration")
        assert len(seeded) == len(prices.SEEDED_PRICES)
        assert any("add llm_prices for gpt-5.2" in a for s in first.steps for a in s["actions"])
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE llm_prices SET input_per_million_usd = 9, updated_by = 'ops' "
                    "WHERE model = 'gpt-5.2'"
                )
            )
            conn.execute(text("DELETE FROM llm_prices WHERE model = 'gpt-4o-mini-tts'"))

        planned = run_migrations(engine, dry_run=True)
        actions = {s["name"]: s["actions"] for s in planned.steps}
        assert actions["seed_llm_prices"] == ["add llm_prices for gpt-4o-mini-tts"]
        run_migrations(engine)

        after = _prices(engine)
        assert after[("openai", "gpt-5.2")] == (9.0, 14.0, "ops")
        assert after[("openai", "gpt-4o-mini-tts")] == (0.6, 12.0, "migration")
        assert not run_migrations(engine).changed
    finally:
        engine.dispose()
