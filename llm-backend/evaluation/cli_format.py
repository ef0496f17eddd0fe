"""Text the CLI prints: the progress bar, the score table with intervals, the comparison."""

from __future__ import annotations

from evaluation.models.judgment import DIMENSIONS
from evaluation.models.reads import RunStats
from evaluation.services.reports import Comparison, ScoreComparison
from evaluation.services.stats import Interval
from shared.llm.prices import Cost

BAR_WIDTH = 30
VERDICTS = {
    "better": "better",
    "worse": "WORSE",
    "no_detectable_difference": "no detectable difference",
}


def progress_bar(done: int, total: int, detail: str = "") -> str:
    """`[#########.....] 3/6 conversations  <detail>`."""
    filled = BAR_WIDTH * done // total if total else 0
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    line = f"[{bar}] {done}/{total} conversations"
    return f"{line}  {detail}" if detail else line


def _bounds(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "(no interval: n < 2)"
    return f"[{low:5.2f}, {high:5.2f}]"


def interval_text(interval: Interval) -> str:
    return f"{interval.mean:5.2f}  {_bounds(interval.low, interval.high)}  n={interval.n}"


def score_table_text(table: RunStats, *, run_id: str) -> str:
    if table.overall is None:
        return f"Run {run_id}: no judged conversation, nothing to score."
    lines = [
        f"Run {run_id}: {table.overall.n} judged conversation(s); "
        "mean score (1-10) and 95% confidence interval over conversations",
        "",
        f"{'':24}{'mean':>5}  {'95% interval':<16}",
        f"{'overall':24}{interval_text(table.overall)}",
    ]
    lines += [f"  {d:22}{interval_text(table.per_dimension[d])}" for d in DIMENSIONS]
    for persona_id, group in table.per_persona.items():
        lines.append(f"{'persona ' + persona_id:24}{interval_text(group.overall)}")
    if table.judge_noise is not None:
        noise = table.judge_noise
        lines.append(
            f"judge noise: SD {noise.sd:.2f} between repeated judgments of one transcript "
            f"({noise.n_conversations} conversation(s) judged more than once)"
        )
    return "\n".join(lines)


def _comparison_line(name: str, item: ScoreComparison) -> str:
    d = item.difference
    return (
        f"{name:24}{item.a.mean:5.2f} -> {item.b.mean:5.2f}  "
        f"diff {d.diff:+5.2f} {_bounds(d.low, d.high)}  {VERDICTS[d.verdict]}"
    )


def comparison_text(comparison: Comparison) -> str:
    lines = [
        f"{comparison.run_b} compared with {comparison.run_a} "
        "(difference = b - a, 95% Welch interval; a verdict needs the interval to exclude 0)",
        "",
        _comparison_line("overall", comparison.overall),
    ]
    lines += [_comparison_line("  " + d, comparison.per_dimension[d]) for d in DIMENSIONS]
    return "\n".join(lines)


def cost_text(cost: Cost) -> str:
    lines = ["", "cost (from llm_calls, priced with llm_prices):"]
    for row in cost.rows:
        dollars = "no price" if row.total_usd is None else f"${row.total_usd:.4f}"
        lines.append(
            f"  {row.component:16}{row.provider + '/' + row.model:32}{row.calls:5} calls "
            f"{row.input_tokens:9} in {row.output_tokens:8} out  {dollars}"
        )
    total = f"${cost.total_usd:.4f}"
    if cost.missing_prices:
        missing = ", ".join(f"{m.provider}/{m.model}" for m in cost.missing_prices)
        total += f" + unpriced calls of {missing}"
    lines.append(f"  total {total}")
    return "\n".join(lines)
