"""Interval arithmetic of evaluation runs, checked against textbook t-table values and sums
worked by hand."""

from __future__ import annotations

import math

import pytest

from evaluation.services.stats import (
    compare_means,
    judge_noise,
    mean_ci,
    regularized_beta,
    t_cdf,
    t_quantile,
)

# Two-sided 95% (p = 0.975), 90% (p = 0.95) and 99% (p = 0.995) critical values, as printed
# in t tables (3 decimals).
T_TABLE = {
    1: (12.706, 6.314, 63.657),
    2: (4.303, 2.920, 9.925),
    3: (3.182, 2.353, 5.841),
    4: (2.776, 2.132, 4.604),
    5: (2.571, 2.015, 4.032),
    10: (2.228, 1.812, 3.169),
    20: (2.086, 1.725, 2.845),
    30: (2.042, 1.697, 2.750),
    120: (1.980, 1.658, 2.617),
}


@pytest.mark.parametrize("df", sorted(T_TABLE))
def test_t_quantile_matches_the_table(df):
    for p, expected in zip((0.975, 0.95, 0.995), T_TABLE[df], strict=True):
        assert round(t_quantile(p, df), 3) == expected
        assert round(t_quantile(1 - p, df), 3) == -expected  # symmetric


def test_t_quantile_closed_forms():
    # df = 1 is the Cauchy distribution: t = tan(pi (p - 1/2)); df = 2: t = (2p-1)/sqrt(2p(1-p)).
    for p in (0.6, 0.9, 0.975, 0.999):
        assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-9)
        expected = (2 * p - 1) / math.sqrt(2 * p * (1 - p))
        assert t_quantile(p, 2) == pytest.approx(expected, rel=1e-9)
    assert t_quantile(0.5, 7) == pytest.approx(0.0, abs=1e-9)
    # Large df approaches the normal: z(0.975) = 1.959964.
    assert t_quantile(0.975, 1e7) == pytest.approx(1.959964, abs=1e-5)
    # Welch df are fractional: between the neighbouring whole ones.
    assert t_quantile(0.975, 4) > t_quantile(0.975, 4.5) > t_quantile(0.975, 5)


def test_cdf_and_beta_values():
    assert t_cdf(0.0, 3) == pytest.approx(0.5)
    assert t_cdf(4.302653, 2) == pytest.approx(0.975, abs=1e-7)
    assert regularized_beta(1.0, 1.0, 0.3) == pytest.approx(0.3)  # uniform
    assert regularized_beta(2.0, 1.0, 0.5) == pytest.approx(0.25)  # x^2
    assert (regularized_beta(1, 1, 0.0), regularized_beta(1, 1, 1.0)) == (0.0, 1.0)


def test_t_quantile_rejects_nonsense():
    for p, df in ((0.0, 3), (1.0, 3), (0.9, 0)):
        with pytest.raises(ValueError):
            t_quantile(p, df)


def test_mean_ci_by_hand():
    # [6, 7, 8]: mean 7, sd 1, t(0.975, 2) = 4.3027, half-width 4.3027 / sqrt(3) = 2.4841.
    ci = mean_ci([6, 7, 8])
    assert (ci.mean, ci.sd, ci.n) == (7.0, 1.0, 3)
    assert ci.low == pytest.approx(7 - 2.48414, abs=1e-4)
    assert ci.high == pytest.approx(7 + 2.48414, abs=1e-4)
    # [5, 7, 7, 9]: mean 7, sd sqrt(8/3) = 1.63299, t(0.975, 3) = 3.18245, half = 2.59845.
    ci = mean_ci([5, 7, 7, 9])
    assert ci.sd == pytest.approx(1.632993, abs=1e-6)
    assert (ci.low, ci.high) == (pytest.approx(4.40155, abs=1e-4), pytest.approx(9.59845, abs=1e-4))
    # 90%: t(0.95, 2) = 2.91999, half = 2.91999 / sqrt(3) = 1.68586.
    ci = mean_ci([6, 7, 8], confidence=0.90)
    assert ci.high == pytest.approx(8.68586, abs=1e-4)


def test_mean_ci_of_one_value_and_of_constant_values():
    one = mean_ci([6.5])
    assert (one.mean, one.low, one.high, one.n, one.sd) == (6.5, None, None, 1, None)
    same = mean_ci([7, 7, 7])
    assert (same.low, same.high, same.sd) == (7.0, 7.0, 0.0)
    with pytest.raises(ValueError):
        mean_ci([])


def test_compare_means_welch_by_hand():
    # a = [6, 7, 8], b = [8, 9, 10]: diff 2, se^2 = 1/3 + 1/3, df = (2/3)^2 / (2 * (1/3)^2 / 2)
    # = 4, t(0.975, 4) = 2.77645, half = 2.77645 * sqrt(2/3) = 2.26696: [-0.267, 4.267].
    d = compare_means([6, 7, 8], [8, 9, 10])
    assert d.diff == 2.0
    assert d.low == pytest.approx(-0.26696, abs=1e-4)
    assert d.high == pytest.approx(4.26696, abs=1e-4)
    assert (d.verdict, d.n_a, d.n_b) == ("no_detectable_difference", 3, 3)


def test_compare_means_unequal_variances():
    # a = [5, 5.5, 6, 6.5] (var 5/12), b = [8, 8] + [9, 9] (var 1/3): shares 5/48 and 1/12,
    # se^2 = 0.1875, df = 0.1875^2 / ((5/48)^2 / 3 + (1/12)^2 / 3) = 5.9268.
    a, b = [5, 5.5, 6, 6.5], [8, 8, 9, 9]
    d = compare_means(a, b)
    df = 0.1875**2 / ((5 / 48) ** 2 / 3 + (1 / 12) ** 2 / 3)
    half = t_quantile(0.975, df) * math.sqrt(0.1875)
    assert df == pytest.approx(5.92683, abs=1e-4)
    # Between t(6) = 2.4469 and t(5) = 2.5706; interpolating in 1/df gives 2.4546.
    assert t_quantile(0.975, df) == pytest.approx(2.4546, abs=1e-3)
    assert (d.low, d.high) == (pytest.approx(2.75 - half), pytest.approx(2.75 + half))
    assert d.verdict == "better"
    worse = compare_means(b, a)
    assert (worse.diff, worse.verdict) == (-2.75, "worse")
    assert worse.high == pytest.approx(-(2.75 - half))


def test_compare_means_without_enough_values():
    d = compare_means([7], [9, 9, 9])
    assert (d.diff, d.low, d.high, d.verdict) == (2.0, None, None, "no_detectable_difference")
    flat = compare_means([7, 7], [8, 8])  # no spread at all: the interval is the difference
    assert (flat.low, flat.high, flat.verdict) == (1.0, 1.0, "better")
    assert compare_means([7, 7], [7, 7]).verdict == "no_detectable_difference"


def test_judge_noise_pooled_by_hand():
    # [6, 7]: mean 6.5, squares 0.5 (1 df); [8, 8, 9]: mean 25/3, squares 2/3 (2 df);
    # [5] has no spread to offer. Pooled: sqrt((0.5 + 2/3) / 3) = 0.623610.
    noise = judge_noise([[6, 7], [8, 8, 9], [5]])
    assert noise is not None
    assert noise.sd == pytest.approx(0.623610, abs=1e-6)
    assert noise.n_conversations == 2
    assert judge_noise([[6], [7]]) is None
    assert judge_noise([]) is None
