// Past sessions, newest first, ten a page, with the totals from /sessions/stats.
import { api, el } from "../client.js";
import { count, date, MODE_LABELS, pct, title } from "./ui.js";

const PAGE_SIZE = 10;

export async function render(root, ctx, { page = 1 } = {}) {
  const [history, stats] = await Promise.all([
    api(`/sessions/history?page=${page}&page_size=${PAGE_SIZE}`),
    api("/sessions/stats"),
  ]);
  const section = el("section", { "aria-labelledby": "history-title" });
  const h = title("History");
  h.id = "history-title";
  section.append(h);
  root.append(section);
  if (!history.total) {
    section.append(el("p", { text: "No sessions yet." }));
    return;
  }
  section.append(el("p", { className: "meta", text:
    `${count(stats.total_sessions, "session")} · average mastery ` +
    `${pct(stats.average_mastery * 100)} · ${count(stats.topics_covered.length, "subject")}` }));
  const list = el("ul", { className: "cards", "aria-label": "Sessions" });
  for (const s of history.sessions) {
    const facts = [el("span", { className: "badge", text: MODE_LABELS[s.mode] || s.mode }),
                   el("span", { text: date(s.created_at) })];
    if (s.mode === "teach_me") facts.push(el("span", { text: "Coverage " + pct(s.coverage) }),
                                          el("span", { text: "Mastery " + pct(s.mastery * 100) }));
    if (s.mode === "exam" && s.exam_score !== null) {
      facts.push(el("span", { text: `${s.exam_score}/${s.exam_total} correct` }));
    }
    if (s.mode === "clarify_doubts") {
      facts.push(el("span", { text: `${(s.concepts_discussed || []).length} concepts discussed` }));
    }
    const li = el("li", { dataset: { session: s.session_id } },
      el("h3", { text: s.topic_name || "Session" }), el("div", { className: "meta" }, ...facts));
    if (s.mode === "exam" && s.exam_score !== null) {
      li.append(el("button", { type: "button", className: "secondary", text: "See results",
        "aria-label": `See results of the exam on ${s.topic_name || "this subtopic"}`,
        onclick: () => ctx.go("results", { sessionId: s.session_id }) }));
    }
    list.append(li);
  }
  section.append(list);
  const pages = Math.ceil(history.total / PAGE_SIZE);
  if (pages > 1) {
    const prev = el("button", { type: "button", className: "secondary", text: "Newer",
                                onclick: () => ctx.go("history", { page: page - 1 }) });
    const next = el("button", { type: "button", className: "secondary", text: "Older",
                                onclick: () => ctx.go("history", { page: page + 1 }) });
    prev.disabled = page <= 1;
    next.disabled = page >= pages;
    section.append(el("nav", { className: "actions", "aria-label": "Pages" }, prev,
                      el("span", { text: `Page ${page} of ${pages}` }), next));
  }
}
