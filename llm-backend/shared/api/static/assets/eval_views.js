// Renders the API's answers into the evaluation page. Server text is only ever set as text.

import { $, el } from "/admin/assets/client.js";
import { DIMENSIONS, differenceChart, differenceText, fmt, humanize, intervalText, scoreChart } from "/admin/assets/eval_charts.js";

export const ACTIVE = new Set(["pending", "running", "loading_persona", "running_session",
                               "evaluating", "generating_reports"]);
export const VERDICTS = { better: "better", worse: "worse",
                          no_detectable_difference: "no detectable difference" };

const cell = (label, content, className) => {
  const td = el("td", { className, dataset: { label } });
  if (content instanceof Node) td.append(content); else td.textContent = content ?? "";
  return td;
};

const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");

export const runOverall = (run) => run.overall ?? run.stats?.overall ?? null;

// Guideline id -> a readable name, filled from the approved guidelines the form loads.
export const guidelineNames = new Map();
// Persona id -> its name, filled from GET /api/evaluation/personas.
export const personaNames = new Map();
const personaLabel = (id) => (!id ? "(real session)" : personaNames.has(id) ? personaNames.get(id) + " (" + id + ")" : id);
const topicOf = (run) => guidelineNames.get(run.topic_id) || run.topic_name || run.topic_id || "";

export function runLabel(run) {
  return when(run.timestamp) + " · " + (topicOf(run) || run.source) +
    " · " + intervalText(runOverall(run));
}

export function renderRuns(runs, { onOpen }) {
  const tbody = $("#runs-table tbody");
  tbody.replaceChildren();
  if (!runs.length) {
    const td = cell("", "No runs yet.");
    td.colSpan = 7;
    tbody.append(el("tr", {}, td));
    return;
  }
  for (const run of runs) {
    const open = el("button", { type: "button", className: "secondary open-run", text: "Open",
                                "aria-label": "Open run " + run.run_id, onclick: () => onOpen(run.run_id) });
    const personas = run.personas ?? run.persona_ids ?? [];
    tbody.append(el("tr", { dataset: { runId: run.run_id } },
      cell("Started", when(run.timestamp)),
      cell("Guideline", topicOf(run)),
      cell("Status", el("span", { className: "badge " + (run.status || ""), text: run.status || "" })),
      cell("Personas", personas.join(", ") || (run.source === "existing_session" ? "(real session)" : "")),
      cell("Repeats", String(run.repeats ?? ""), "num"),
      cell("Overall", intervalText(runOverall(run)), "overall"),
      cell("", open)));
  }
}

export function fillRunSelect(select, runs) {
  const keep = select.value;
  select.replaceChildren(...runs.map((run) => el("option", { value: run.run_id, text: runLabel(run) })));
  if (runs.some((run) => run.run_id === keep)) select.value = keep;
}

function configList(run) {
  const c = run.config || {};
  const guideline = guidelineNames.get(c.topic_id) ||
    [c.subject, c.grade ? "grade " + c.grade : null, c.topic].filter(Boolean).join(" · ") || c.topic_id;
  const entries = [
    ["Run", run.run_id], ["Status", run.status], ["Guideline", guideline],
    ["Session evaluated", c.source_session_id], ["Mode", c.mode], ["Max turns", c.max_turns],
    ["Personas", (c.personas || []).join(", ")], ["Repeats", c.repeats],
    ["Judge repeats", c.judge_repeats], ["Seed", c.seed], ["Error", run.error],
  ];
  for (const [part, m] of Object.entries(c.models || {})) {
    entries.push(["Model: " + part, m && typeof m === "object" ? m.provider + " / " + m.model : m]);
  }
  const dl = $("#run-config");
  dl.replaceChildren();
  for (const [term, value] of entries) {
    if (value === undefined || value === null || value === "") continue;
    dl.append(el("div", {}, el("dt", { text: term }),
      el("dd", { text: typeof value === "object" ? JSON.stringify(value) : value })));
  }
}

function dimensionRows(block) {
  const per = block?.per_dimension || {};
  return [{ key: "overall", label: "overall", interval: block?.overall },
          ...DIMENSIONS.map((d) => ({ key: d, label: humanize(d), interval: per[d] }))];
}

const usd = (value) => (value === null || value === undefined ? "no price" : "$" + Number(value).toFixed(4));

function renderCost(cost) {
  const box = $("#run-cost");
  box.replaceChildren();
  const rows = cost?.rows || [];
  if (!rows.length) { box.append(el("p", { className: "desc", text: "No model calls recorded." })); return; }
  const heads = ["Component", "Model", "Calls", "Tokens in / out", "Dollars"];
  box.append(el("table", { className: "cards cost" },
    el("thead", {}, el("tr", {}, ...heads.map((t, i) => el("th", { text: t, className: i > 1 ? "num" : undefined })))),
    el("tbody", {}, ...rows.map((r) => el("tr", { dataset: { component: r.component } },
      cell("Component", r.component), cell("Model", r.provider + " / " + r.model),
      cell("Calls", String(r.calls), "num"), cell("Tokens in / out", r.input_tokens + " / " + r.output_tokens, "num"),
      cell("Dollars", usd(r.total_usd), "num"))))));
  const missing = (cost.missing_prices || []).map((m) => m.provider + " / " + m.model);
  box.append(el("p", { className: "desc cost-total", text: "Total: " + usd(cost.total_usd) +
    (missing.length ? " (at least: no price for " + missing.join(", ") + ")" : "") }));
}

export function renderRun(run, { onConversation }) {
  $("#run-detail").hidden = false;
  $("#run-title").textContent = "Run " + run.run_id;
  configList(run);
  const stats = run.stats || {};
  $("#dimension-chart").replaceChildren(scoreChart(dimensionRows(stats), "Scores by dimension"));
  const noise = stats.judge_noise;
  $("#judge-noise").textContent = noise ? "Judge noise: the same transcript's scores vary with a standard deviation of " +
    fmt(noise.sd) + " (" + noise.n_conversations + " conversations judged more than once)." : "";
  const charts = $("#persona-charts");
  charts.replaceChildren();
  for (const [persona, block] of Object.entries(stats.per_persona || {})) {
    charts.append(el("div", { className: "persona-chart", dataset: { persona } },
      el("h4", { text: personaLabel(persona) }), scoreChart(dimensionRows(block), "Scores of " + personaLabel(persona))));
  }
  if (!charts.children.length) charts.append(el("p", { className: "desc", text: "No scores yet." }));
  renderCost(run.cost);
  const tbody = $("#conversations-table tbody");
  tbody.replaceChildren();
  for (const c of run.conversations || []) {
    const view = el("button", { type: "button", className: "secondary view-transcript", text: "Transcript",
                                "aria-label": "Transcript of conversation " + c.item,
                                onclick: () => onConversation(run.run_id, c.item) });
    tbody.append(el("tr", { dataset: { item: c.item } },
      cell("#", String(c.item), "num"), cell("Persona", personaLabel(c.persona_id)),
      cell("Repeat", String(c.repeat ?? ""), "num"),
      cell("Status", el("span", { className: "badge " + c.status, text: c.status + (c.error ? ": " + c.error : "") })),
      cell("Messages", String(c.message_count ?? ""), "num"), cell("Score", fmt(c.avg_score), "num"),
      cell("", view)));
  }
}

function problemItem(p) {
  const turns = (p.turns || []).length ? "turns " + p.turns.join(", ") : "";
  return el("li", { className: "problem " + p.severity },
    el("strong", { text: p.title }), " ",
    el("span", { className: "badge " + p.severity, text: p.severity }), " ",
    el("span", { className: "desc", text: [humanize(p.root_cause || ""), turns].filter(Boolean).join(" · ") }),
    el("p", { text: p.description }), p.quote ? el("blockquote", { text: p.quote }) : null);
}

export function renderConversation(answer) {
  // The route nests the conversation's own fields under `summary`.
  const conv = { ...answer.summary, ...answer };
  $("#conversation").hidden = false;
  $("#conversation-title").textContent = "Conversation " + conv.item +
    (conv.persona_id ? " · " + personaLabel(conv.persona_id) + (conv.repeat ? " #" + conv.repeat : "") : "");
  const box = $("#judgments");
  box.replaceChildren();
  if (conv.error) box.append(el("p", { className: "err", text: "Error: " + conv.error }));
  for (const j of conv.judgments || []) {
    const scores = el("ul", { className: "scores" }, ...DIMENSIONS.map((d) =>
      el("li", { dataset: { dim: d } }, humanize(d) + ": ", el("strong", { text: String(j.scores?.[d] ?? "–") }))));
    box.append(el("article", { className: "judgment", dataset: { attempt: j.attempt } },
      el("h3", { text: "Judgment " + (j.attempt ?? 1) + " · average " + fmt(j.avg_score) }),
      scores, el("p", { className: "summary", text: j.summary || "" }),
      Object.keys(j.dimension_analysis || {}).length ? el("details", { className: "analysis" },
        el("summary", { text: "Per-dimension analysis" }),
        el("dl", {}, ...Object.entries(j.dimension_analysis).flatMap(([d, text]) =>
          [el("dt", { text: humanize(d) }), el("dd", { text })]))) : null,
      (j.problems || []).length ? el("h4", { text: "Problems" }) : null,
      el("ol", { className: "problems" }, ...(j.problems || []).map(problemItem))));
  }
  if (!(conv.judgments || []).length) box.append(el("p", { className: "desc", text: "Not judged yet." }));
  $("#transcript").replaceChildren(...(conv.messages || []).map((m) =>
    el("li", { className: "msg " + m.role, dataset: { turn: m.turn } },
      el("span", { className: "who", text: (m.role === "tutor" ? "Tutor" : "Student") + " · turn " + m.turn }),
      el("p", { text: m.content }))));
}

export function renderComparison(result) {
  const per = result.per_dimension || result.dimensions || {};
  const rows = [{ key: "overall", label: "overall", ...result.overall },
                ...DIMENSIONS.filter((d) => per[d]).map((d) => ({ key: d, label: humanize(d), ...per[d] }))];
  const table = el("table", { className: "cards compare" },
    el("thead", {}, el("tr", {}, ...["Dimension", "Run A", "Run B", "Difference B − A", "Verdict"].map((t) => el("th", { text: t })))),
    el("tbody", {}, ...rows.map((r) => el("tr", { dataset: { key: r.key, verdict: r.difference.verdict } },
      cell("Dimension", r.label), cell("Run A", intervalText(r.a), "a"), cell("Run B", intervalText(r.b), "b"),
      cell("Difference B − A", differenceText(r.difference), "difference"),
      cell("Verdict", el("span", { className: "verdict " + r.difference.verdict,
                                  text: VERDICTS[r.difference.verdict] || r.difference.verdict }), "verdict")))));
  $("#compare-result").replaceChildren(table, differenceChart(rows, "Differences B − A with 95% intervals"));
}
