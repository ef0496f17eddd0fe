"""`python -m evaluation run|compare` in-process, against real PostgreSQL and the fake model
server playing tutor, student and judge (tests/support/evaluation_runs.py).

The judge scores every dimension of a persona's conversations from a list: ace 6 and 8,
struggler 3 and 5. Overall over the four conversations [6, 8, 3, 5]: mean 5.5, squared
deviations 0.25 + 6.25 + 6.25 + 0.25 = 13, variance 13 / 3, sd 2.081666, se 1.040833,
t(0.975, 3 df) = 3.182446, half width 3.312395: [2.19, 8.81]. ace [6, 8]: mean 7, sd 1.414214,
se 1, t(0.975, 1 df) = 12.706205: [-5.71, 19.71]; struggler [3, 5]: [-8.71, 16.71].
"""

from __future__ import annotations

import io
import re

import pytest

from evaluation.cli import main
from shared.jobs.dispatch import reset_dispatcher
from tests.support.evaluation_runs import evaluation_responder
from tests.support.tutor import add_guideline

RUN_ID = re.compile(r"Run (run_\d{8}_\d{6}_[0-9a-f]{6}) started")


@pytest.fixture(autouse=True)
def _own_dispatcher():
    yield
    reset_dispatcher()  # the CLI installs a local one for the process


def _run(fake_llm, guideline_id: str, scores: dict[str, list[int]]) -> tuple[int, str, str]:
    fake_llm.responder = evaluation_responder(scores)
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "run",
            "--guideline",
            guideline_id,
            "--personas",
            "ace,struggler",
            "--repeats",
            "2",
            "--max-turns",
            "2",
            "--seed",
            "5",
        ],
        out=out,
        err=err,
        poll_seconds=0.05,
    )
    return code, out.getvalue(), err.getvalue()


def _row(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(name))


def test_run_prints_progress_then_scores_with_intervals_and_cost(db, fake_llm):
    code, out, err = _run(fake_llm, add_guideline(), {"ace": [6, 8], "struggler": [3, 5]})

    assert code == 0, err
    assert RUN_ID.search(err)
    bars = [line for line in err.splitlines() if line.startswith("[")]
    assert bars[-1] == "[" + "#" * 30 + "] 4/4 conversations"
    assert "4 judged conversation(s)" in out
    assert _row(out, "overall").split() == ["overall", "5.50", "[", "2.19,", "8.81]", "n=4"]
    assert _row(out, "pacing").split() == ["pacing", "5.50", "[", "2.19,", "8.81]", "n=4"]
    assert _row(out, "persona ace").split()[2:] == ["7.00", "[-5.71,", "19.71]", "n=2"]
    assert _row(out, "persona struggler").split()[2:] == ["4.00", "[-8.71,", "16.71]", "n=2"]
    assert "judge noise" not in out  # one judgment per conversation
    # Two student turns in each of four conversations at 400 / 20 tokens, four judgments at
    # 3000 / 700, all gpt-5.2 ($1.75 / $14 per million): $0.00784 and $0.0602.
    assert _row(out, "eval_simulator").split() == [
        "eval_simulator",
        "openai/gpt-5.2",
        "8",
        "calls",
        "3200",
        "in",
        "160",
        "out",
        "$0.0078",
    ]
    assert _row(out, "eval_evaluator").split()[2:] == [
        "4",
        "calls",
        "12000",
        "in",
        "2800",
        "out",
        "$0.0602",
    ]
    assert _row(out, "tutor").split()[1] == "openai/gpt-5.2"


def test_compare_prints_differences_with_intervals_and_verdicts(db, fake_llm):
    guideline_id = add_guideline()
    _, first, _ = _run(fake_llm, guideline_id, {"ace": [6, 8], "struggler": [3, 5]})
    _, second, _ = _run(fake_llm, guideline_id, {"ace": [8, 9], "struggler": [7, 8]})
    _, third, _ = _run(fake_llm, guideline_id, {"ace": [9, 9], "struggler": [9, 9]})
    a, b, c = (re.search(r"Run (run_\S+):", text).group(1) for text in (first, second, third))

    out = io.StringIO()
    assert main(["compare", a, b], out=out) == 0
    # b [8, 9, 7, 8]: +2.5, Welch se 1.118034 on 3.90 df, t 2.8042: [-0.64, 5.64]
    assert _row(out.getvalue(), "overall").split() == [
        "overall",
        "5.50",
        "->",
        "8.00",
        "diff",
        "+2.50",
        "[-0.64,",
        "5.64]",
        "no",
        "detectable",
        "difference",
    ]
    out = io.StringIO()
    assert main(["compare", a, c], out=out) == 0
    # c all 9 (no spread): +3.5, se 1.040833 on 3 df, half 3.312395: [0.19, 6.81]
    assert _row(out.getvalue(), "overall").split()[4:] == [
        "diff",
        "+3.50",
        "[",
        "0.19,",
        "6.81]",
        "better",
    ]
    assert _row(out.getvalue(), "responsiveness").split()[-1] == "better"
    out = io.StringIO()
    assert main(["compare", c, a], out=out) == 0
    assert _row(out.getvalue(), "overall").split()[-1] == "WORSE"


def test_bad_input_is_an_error_message_not_a_traceback(db, fake_llm):
    err = io.StringIO()

    code = main(["run", "--guideline", "nope", "--personas", "ace"], out=io.StringIO(), err=err)
    unknown_persona = main(
        ["run", "--guideline", add_guideline(), "--personas", "einstein"],
        out=io.StringIO(),
        err=err,
    )
    missing_run = main(["compare", "run_a", "run_b"], out=io.StringIO(), err=err)

    assert (code, unknown_persona, missing_run) == (2, 2, 2)
    lines = err.getvalue().splitlines()
    assert lines[0] == "error: Guideline not found: nope"
    assert lines[1].startswith("error: Unknown persona 'einstein'. Known personas: ace, ")
    assert lines[2] == "error: Run not found: run_a"
