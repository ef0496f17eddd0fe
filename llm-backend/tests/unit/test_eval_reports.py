"""Comparing two runs (evaluation.services.reports), against values computed by hand.

Run A's conversations score [6, 7, 4, 6] overall: mean 5.75, squared deviations 0.0625 +
1.5625 + 3.0625 + 0.0625 = 4.75, variance 4.75 / 3 = 1.583333, sd 1.258306, se 0.629153,
t(0.975, 3 df) = 3.182446 (table: 3.182), half width 2.002245: [3.747755, 7.752245].
"""

from __future__ import annotations

import pytest

from evaluation.models.judgment import DIMENSIONS
from evaluation.services.reports import compare_samples
from shared.errors import BadRequestError


def _samples(overall: list[float], **dimensions: list[float]) -> dict[str, list[float]]:
    """Every dimension equal to the overall score unless given."""
    return {"overall": overall, **{d: dimensions.get(d, overall) for d in DIMENSIONS}}


A = _samples([6, 7, 4, 6], pacing=[5, 7, 4, 6])


def _rounded(interval) -> tuple:
    return (interval.n, round(interval.mean, 6), round(interval.low, 6), round(interval.high, 6))


def test_each_side_gets_its_interval():
    comparison = compare_samples(run_a="A", a=A, run_b="B", b=_samples([8, 8, 7, 9]))

    assert _rounded(comparison.overall.a) == (4, 5.75, 3.747755, 7.752245)
    # pacing [5, 7, 4, 6]: mean 5.5, variance 5 / 3, sd 1.290994, se 0.645497, half 2.054260
    assert _rounded(comparison.per_dimension["pacing"].a) == (4, 5.5, 3.44574, 7.55426)
    # b [8, 8, 7, 9]: mean 8, variance 2 / 3, sd 0.816497, se 0.408248, half 1.299228
    assert _rounded(comparison.overall.b) == (4, 8.0, 6.700772, 9.299228)


def test_a_clear_improvement_is_better_and_its_reverse_worse():
    # Welch: se^2 = 1.583333 / 4 + 0.666667 / 4 = 0.5625, se 0.75; df = 0.5625^2 /
    # ((0.395833^2 + 0.166667^2) / 3) = 5.1458; t(0.975, 5.1458) = 2.5488 (between the table's
    # 2.571 at 5 df and 2.447 at 6); half 1.9116: 2.25 +- 1.9116 = [0.3384, 4.1616].
    better = compare_samples(run_a="A", a=A, run_b="B", b=_samples([8, 8, 7, 9]))
    worse = compare_samples(run_a="B", a=_samples([8, 8, 7, 9]), run_b="A", b=A)

    difference = better.overall.difference
    assert (difference.verdict, difference.diff, difference.n_a, difference.n_b) == (
        "better",
        2.25,
        4,
        4,
    )
    assert (round(difference.low, 4), round(difference.high, 4)) == (0.3384, 4.1616)
    assert worse.overall.difference.verdict == "worse"
    assert (round(worse.overall.difference.low, 4), round(worse.overall.difference.high, 4)) == (
        -4.1616,
        -0.3384,
    )
    # responsiveness follows overall; pacing a = [5, 7, 4, 6] (mean 5.5) against 8: +2.5
    assert better.per_dimension["responsiveness"].difference.verdict == "better"
    assert better.per_dimension["pacing"].difference.diff == 2.5
    assert list(better.per_dimension) == list(DIMENSIONS)


def test_equal_means_or_too_few_conversations_detect_nothing():
    # [5, 7, 4, 7] has A's mean (5.75): the difference is 0 and its interval straddles it.
    same_mean = compare_samples(run_a="A", a=A, run_b="C", b=_samples([5, 7, 4, 7]))
    # One conversation has no spread to measure: no interval, no verdict, however large.
    single = compare_samples(run_a="A", a=A, run_b="D", b=_samples([10]))

    assert same_mean.overall.difference.verdict == "no_detectable_difference"
    assert same_mean.overall.difference.diff == 0.0
    assert same_mean.overall.difference.low < 0 < same_mean.overall.difference.high
    assert single.overall.difference.verdict == "no_detectable_difference"
    assert (single.overall.difference.diff, single.overall.difference.low) == (4.25, None)


def test_compare_needs_a_judged_conversation_on_each_side():
    with pytest.raises(BadRequestError) as error:
        compare_samples(run_a="A", a=A, run_b="B", b={"overall": []})

    assert error.value.message == "Run B has no judged conversation to compare."
    assert error.value.code == "run_not_judged"
