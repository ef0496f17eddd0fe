"""`python -m evaluation run|compare`: an evaluation from the command line.

`run` starts a run exactly as POST /api/evaluation/start does, but runs its job in this
process (the local dispatcher, whatever JOB_DISPATCH says), draws a progress bar from the
job's progress, then prints the score table with 95% intervals and the run's cost. `compare`
prints the per-dimension differences of two stored runs with their intervals and verdicts.
The database is the server's (DATABASE_URL, else the embedded SQLite file); migrate it first.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from database import session_scope
from evaluation import cli_format
from evaluation.models.persona import PERSONA_IDS
from evaluation.services import reports, runs
from shared.errors import AppError
from shared.jobs.dispatch import LocalDispatcher, set_dispatcher
from shared.jobs.models import BookJob
from shared.models.enums import JobStatus, SessionMode

POLL_SECONDS = 1.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation",
        description="Simulated students against the tutor, scored by a judge, with intervals.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run an evaluation in this process and print scores")
    run.add_argument("--guideline", required=True, help="the teaching guideline's id")
    run.add_argument(
        "--personas",
        default="average_student",
        help=f'comma-separated persona ids, or "all" ({", ".join(PERSONA_IDS)})',
    )
    run.add_argument("--repeats", type=int, default=1, help="conversations per persona")
    run.add_argument("--max-turns", type=int, default=20, help="student messages at most")
    run.add_argument(
        "--mode", choices=[m.value for m in SessionMode], default=SessionMode.TEACH_ME.value
    )
    run.add_argument("--judge-repeats", type=int, default=1, help="judgments per conversation")
    run.add_argument("--seed", type=int, default=None, help="reproduces the run's draws")
    compare = commands.add_parser("compare", help="compare two runs (b against a)")
    compare.add_argument("a", help="the earlier run's id")
    compare.add_argument("b", help="the newer run's id")
    return parser


def _personas(value: str) -> list[str]:
    if value.strip() == "all":
        return list(PERSONA_IDS)
    return [p.strip() for p in value.split(",") if p.strip()]


def _progress(job_id: str) -> tuple[str, int, int]:
    with session_scope() as session:
        job = session.get(BookJob, job_id)
        if job is None:  # pragma: no cover - the run's own job row
            return JobStatus.FAILED, 0, 0
        return job.status, job.completed_items + job.failed_items, job.total_items or 0


def _detail(run_id: str) -> str:
    with session_scope() as session:
        status = runs.current_status(session=session)
    return status.detail if status.run_id == run_id else ""


def run_command(
    args: argparse.Namespace, *, out: TextIO, err: TextIO, poll_seconds: float = POLL_SECONDS
) -> int:
    dispatcher = LocalDispatcher()
    set_dispatcher(dispatcher)  # in-process, even where the server would use SQS
    with session_scope() as session:
        run = runs.start_run(
            session=session,
            admin=None,
            guideline_id=args.guideline,
            persona_ids=_personas(args.personas),
            repeats=args.repeats,
            judge_repeats=args.judge_repeats,
            mode=args.mode,
            max_turns=args.max_turns,
            seed=args.seed,
        )
        run_id, job_id = run.id, run.job_id or ""  # a started run always has its job
    print(f"Run {run_id} started (job {job_id}).", file=err)
    last = ""
    while True:
        # Waiting on the job's thread is the pause between two looks at its progress, and it
        # ends as soon as the job does.
        finished = dispatcher.wait_idle(timeout=poll_seconds)
        status, done, total = _progress(job_id)
        line = cli_format.progress_bar(done, total, _detail(run_id) if not finished else "")
        if line != last:
            print(line, file=err)
            last = line
        if finished:
            break
    with session_scope() as session:
        table = runs.get_run(session=session, run_id=run_id).stats
        cost = reports.run_cost(session=session, run_id=run_id)
    print(cli_format.score_table_text(table, run_id=run_id), file=out)
    print(cli_format.cost_text(cost), file=out)
    if status != JobStatus.COMPLETED:
        print(
            f"The run's job ended {status}; `GET /api/evaluation/runs/{run_id}` says why.", file=err
        )
        return 1
    return 0


def compare_command(args: argparse.Namespace, *, out: TextIO) -> int:
    with session_scope() as session:
        comparison = reports.compare_runs(session=session, run_a=args.a, run_b=args.b)
    print(cli_format.comparison_text(comparison), file=out)
    return 0


def main(
    argv: list[str] | None = None,
    *,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    poll_seconds: float = POLL_SECONDS,
) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return run_command(args, out=out, err=err, poll_seconds=poll_seconds)
        return compare_command(args, out=out)
    except AppError as exc:  # bad input: the same message the API would give
        print(f"error: {exc.message}", file=err)
        return 2
