// Horizontal bars with 95% interval whiskers, drawn with positioned elements (no chart
// library). Every number is also written out as text beside its bar, so the chart reads the
// same to a screen reader and to a test.

import { el } from "/admin/assets/client.js";

export const DIMENSIONS = ["responsiveness", "explanation_quality", "emotional_attunement",
                           "pacing", "authenticity"];

export const fmt = (value) => (value === null || value === undefined ? "–" : Number(value).toFixed(2));

export const humanize = (key) => String(key).replaceAll("_", " ");

/** "7.00 [4.52, 9.48]", or "7.00 (n=1)" when one value gives no interval. */
export function intervalText(interval) {
  if (!interval || interval.mean === null || interval.mean === undefined) return "no score yet";
  if (interval.low === null || interval.low === undefined) return fmt(interval.mean) + " (n=" + interval.n + ")";
  return fmt(interval.mean) + " [" + fmt(interval.low) + ", " + fmt(interval.high) + "]";
}

/** "+5.00 [2.73, 7.27]": B − A with its interval (none when a run has fewer than two values). */
export function differenceText(d) {
  return (d.diff > 0 ? "+" : "") + fmt(d.diff) +
    (d.low === null || d.low === undefined ? "" : " [" + fmt(d.low) + ", " + fmt(d.high) + "]");
}

const clamp = (value, lo, hi) => Math.min(hi, Math.max(lo, value));
const pct = (value, lo, hi) => ((clamp(value, lo, hi) - lo) / (hi - lo)) * 100;

function whisker(low, high, lo, hi) {
  if (low === null || low === undefined || high === null || high === undefined) return null;
  const left = pct(low, lo, hi);
  const right = pct(high, lo, hi);
  const node = el("span", { className: "whisker", "aria-hidden": "true" });
  node.style.left = left + "%";
  node.style.width = Math.max(0, right - left) + "%";
  // An end beyond the axis is drawn without its cap, so a clipped interval does not look closed.
  if (low < lo) node.classList.add("open-left");
  if (high > hi) node.classList.add("open-right");
  return node;
}

/** One chart row per `{key, label, interval}` on the 0-10 score scale. */
export function scoreChart(rows, caption) {
  const list = el("ul", { className: "chart", "aria-label": caption });
  for (const { key, label, interval } of rows) {
    const track = el("span", { className: "track", "aria-hidden": "true" });
    if (interval && interval.mean !== null && interval.mean !== undefined) {
      const bar = el("span", { className: "bar" });
      bar.style.width = pct(interval.mean, 0, 10) + "%";
      track.append(bar, whisker(interval.low, interval.high, 0, 10) || "");
    }
    list.append(el("li", {
      dataset: { key, mean: interval?.mean ?? "", low: interval?.low ?? "", high: interval?.high ?? "",
                 n: interval?.n ?? "" },
    }, el("span", { className: "chart-label", text: label }), track,
       el("span", { className: "chart-value", text: intervalText(interval) })));
  }
  return list;
}

/** Differences B − A around a centred zero line, with their intervals. */
export function differenceChart(rows, caption) {
  let span = 1;
  for (const { difference: d } of rows) {
    for (const v of [d.diff, d.low, d.high]) if (v !== null && v !== undefined) span = Math.max(span, Math.abs(v));
  }
  span = Math.ceil(span);
  const list = el("ul", { className: "chart diff", "aria-label": caption });
  for (const { key, label, difference: d } of rows) {
    const track = el("span", { className: "track", "aria-hidden": "true" },
                     el("span", { className: "zero" }));
    const bar = el("span", { className: "bar " + d.verdict });
    const from = pct(Math.min(0, d.diff), -span, span);
    bar.style.left = from + "%";
    bar.style.width = (pct(Math.max(0, d.diff), -span, span) - from) + "%";
    track.append(bar, whisker(d.low, d.high, -span, span) || "");
    const text = differenceText(d);
    list.append(el("li", { dataset: { key, diff: d.diff, low: d.low ?? "", high: d.high ?? "" } },
      el("span", { className: "chart-label", text: label }), track,
      el("span", { className: "chart-value", text })));
  }
  return list;
}
