// Small pieces every learner view uses. Server text always goes in as text (`el`'s `text`).
import { el } from "../client.js";

export const MODE_LABELS = { teach_me: "Lesson", exam: "Exam", clarify_doubts: "Doubts" };

export function pct(value) {
  return Math.round(Number(value) || 0) + "%";
}

export function date(iso) {
  if (!iso) return "";
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? "" : when.toLocaleDateString();
}

/** The view's title; focused on arrival so a keyboard or screen-reader user starts there. */
export function title(text) {
  return el("h2", { text, tabindex: "-1", className: "view-title" });
}

/** A breadcrumb trail: [[label, onClick | null], ...]; the last one is the current place. */
export function crumbs(items) {
  return el("nav", { "aria-label": "Where you are" },
    el("ol", { className: "crumbs" }, ...items.map(([label, onClick]) => el("li", {},
      onClick ? el("button", { type: "button", text: label, onclick: onClick })
              : el("span", { text: label, "aria-current": "location" })))));
}

export function describe(error, doing) {
  return doing + ": " + (error && error.message ? error.message : String(error));
}

/** "1 session", "2 sessions". */
export function count(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The tutor writes light Markdown; the page shows text only (never HTML), so the markers
 *  that would otherwise show as stray asterisks and backticks are dropped. */
export function plain(markdown) {
  return String(markdown || "")
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
    .replace(/(\*\*|__|`+)/g, "")
    .replace(/^#{1,6}\s+/gm, "");
}
