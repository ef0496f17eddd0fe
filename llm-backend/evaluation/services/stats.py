"""Means with Student-t confidence intervals, Welch comparisons of two runs, and the judge's
own noise. Pure Python: the t quantile inverts the t CDF (a regularized incomplete beta,
evaluated by its continued fraction) by bisection, so no SciPy is needed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["better", "worse", "no_detectable_difference"]
_EPS = 1e-15
_TINY = 1e-300


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float | None  # None when n < 2: one value says nothing about its spread
    high: float | None
    n: int
    sd: float | None


@dataclass(frozen=True)
class Difference:
    diff: float  # mean(b) - mean(a): positive means b (the newer run) scored higher
    low: float | None
    high: float | None
    verdict: Verdict
    n_a: int
    n_b: int


@dataclass(frozen=True)
class JudgeNoise:
    sd: float  # pooled within-conversation SD of repeated judgments of the same transcript
    n_conversations: int


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (modified Lentz), for x < (a + 1) / (a + b + 2)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            h *= d * c
        if abs(d * c - 1.0) < _EPS:
            break
    return h


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularized incomplete beta function, for 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` (> 0, not necessarily whole) degrees of freedom."""
    tail = 0.5 * regularized_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p, by bisection on the CDF (monotone), to ~1e-12."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError("t_quantile needs 0 < p < 1 and df > 0")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2.0
    while high - low > 1e-12 * max(1.0, high):
        middle = (low + high) / 2.0
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


def _mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("no values")
    return math.fsum(values) / len(values)


def _variance(values: Sequence[float]) -> float:
    m = _mean(values)
    return math.fsum((v - m) ** 2 for v in values) / (len(values) - 1)


def _two_sided(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")
    return 1.0 - (1.0 - confidence) / 2.0


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """The mean and its Student-t interval (n - 1 df). ValueError when `values` is empty."""
    n, m = len(values), _mean(values)
    if n < 2:
        return Interval(mean=m, low=None, high=None, n=n, sd=None)
    sd = math.sqrt(_variance(values))
    half = t_quantile(_two_sided(confidence), n - 1) * sd / math.sqrt(n)
    return Interval(mean=m, low=m - half, high=m + half, n=n, sd=sd)


def _verdict(low: float | None, high: float | None) -> Verdict:
    if low is not None and low > 0:
        return "better"
    if high is not None and high < 0:
        return "worse"
    return "no_detectable_difference"


def compare_means(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> Difference:
    """b - a with Welch's interval (Welch-Satterthwaite df). With fewer than two values on a
    side there is no interval and the verdict is no_detectable_difference. When neither side
    varies at all the interval shrinks to the difference itself."""
    diff = _mean(b) - _mean(a)
    n_a, n_b = len(a), len(b)
    if n_a < 2 or n_b < 2:
        return Difference(diff, None, None, "no_detectable_difference", n_a, n_b)
    share_a, share_b = _variance(a) / n_a, _variance(b) / n_b
    se2 = share_a + share_b
    if se2 == 0.0:
        low = high = diff
    else:
        df = se2**2 / (share_a**2 / (n_a - 1) + share_b**2 / (n_b - 1))
        half = t_quantile(_two_sided(confidence), df) * math.sqrt(se2)
        low, high = diff - half, diff + half
    return Difference(diff, low, high, _verdict(low, high), n_a, n_b)


def judge_noise(groups: Sequence[Sequence[float]]) -> JudgeNoise | None:
    """The pooled within-group SD: sqrt(sum of squared deviations from each group's mean /
    sum of (n_i - 1)), over groups (one conversation's repeated judgments) with n_i >= 2.
    None when no conversation was judged twice."""
    repeated = [g for g in groups if len(g) >= 2]
    if not repeated:
        return None
    squares = math.fsum(math.fsum((v - _mean(g)) ** 2 for v in g) for g in repeated)
    dof = sum(len(g) - 1 for g in repeated)
    return JudgeNoise(sd=math.sqrt(squares / dof), n_conversations=len(repeated))
