// The evaluation page: start runs, follow them by polling (no reload), read scores with their
// intervals, transcripts and the judge's problems, and compare two runs.

import { $, api, banner, describeError, el, hasToken, wireTokenRow } from "/admin/assets/client.js";
import { ACTIVE, fillRunSelect, guidelineNames, personaNames, renderComparison, renderConversation, renderRun, renderRuns }
  from "/admin/assets/eval_views.js";

const POLL_MS = 1000;
const state = { runs: [], openRun: null, openRunJson: "", openConversation: null, pollTimer: null };

const enc = encodeURIComponent;
const post = (path, body) => api(path, { method: "POST", body: JSON.stringify(body ?? {}) });

function say(selector, text, ok) {
  const node = $(selector);
  node.textContent = text;
  node.className = "status " + (ok === undefined ? "" : ok ? "ok" : "err");
}

async function loadForm() {
  const [guidelines, personas] = await Promise.all([
    api("/admin/guidelines/review?status=APPROVED"),
    api("/api/evaluation/personas"),
  ]);
  const select = $("#guideline");
  for (const g of guidelines) guidelineNames.set(g.id, [g.subject, "grade " + g.grade, g.topic, g.subtopic].join(" · "));
  select.replaceChildren(...guidelines.map((g) => el("option", { value: g.id, text: guidelineNames.get(g.id) })));
  if (!guidelines.length) select.append(el("option", { value: "", text: "No approved guidelines" }));
  const list = $("#persona-list");
  list.replaceChildren();
  for (const p of personas) {
    const id = p.persona_id;
    personaNames.set(id, p.name);
    const box = el("input", { type: "checkbox", name: "persona", value: id, id: "persona-" + id });
    box.checked = id === "average_student";
    const probability = p.correct_answer_probability ?? p.p_correct;
    list.append(el("label", { className: "persona", for: "persona-" + id, title: p.description || "" },
      box, " " + (p.name ? p.name + " (" + id + ")" : id),
      el("span", { className: "desc", text: " grade " + p.grade +
        (probability === undefined ? "" : ", " + Math.round(probability * 100) + "% correct") })));
  }
}

async function refreshRuns() {
  state.runs = await api("/api/evaluation/runs");
  renderRuns(state.runs, { onOpen: openRun });
  fillRunSelect($("#compare-a"), state.runs);
  fillRunSelect($("#compare-b"), state.runs);
  // Newest first, so by default B (after) is the newest run and A the one before it.
  if (state.runs.length > 1 && $("#compare-a").value === $("#compare-b").value) {
    $("#compare-a").value = state.runs[1].run_id;
  }
}

function renderStatus(status) {
  const active = ACTIVE.has(status.status);
  const parts = [status.status.replaceAll("_", " ")];
  if (status.run_id) parts.push(status.run_id);
  if (status.detail) parts.push(status.detail);
  if (status.error) parts.push(status.error);
  say("#progress-text", parts.join(" · "), status.status === "failed" ? false : status.status === "complete" ? true : undefined);
  const bar = $("#turn-bar");
  bar.hidden = !active;
  bar.max = Math.max(1, status.max_turns || 1);
  bar.value = Math.min(status.turn || 0, bar.max);
  bar.setAttribute("aria-valuetext", "Turn " + (status.turn || 0) + " of " + (status.max_turns || 0));
}

function renderItems(run) {
  const conversations = run?.conversations || [];
  const done = conversations.filter((c) => c.status === "judged" || c.status === "failed").length;
  $("#progress-items").textContent = run ? "Run " + run.run_id + ": " + done + " of " +
    conversations.length + " conversations finished" : "";
}

async function refreshOpenRun() {
  if (!state.openRun) return null;
  const run = await api("/api/evaluation/runs/" + enc(state.openRun));
  const json = JSON.stringify(run);
  // Redrawn only when something changed, so a poll does not move the reader's focus.
  if (json !== state.openRunJson) {
    state.openRunJson = json;
    renderRun(run, { onConversation: openConversation });
    // A failed run, or a finished one with conversations still unjudged, can be resumed.
    const unfinished = (run.conversations || []).some((c) => c.status !== "judged");
    $("#resume").disabled = !(run.status === "failed" || (run.status === "complete" && unfinished));
    $("#retry").disabled = ACTIVE.has(run.status);
  }
  return run;
}

/** Status, runs, the open run and conversation; true while something is still running. */
async function refreshAll() {
  const status = await api("/api/evaluation/status");
  renderStatus(status);
  await refreshRuns();
  if (!state.openRun && status.run_id) state.openRun = status.run_id;
  const run = await refreshOpenRun();
  renderItems(run);
  if (state.openConversation && state.openConversation[0] === state.openRun) {
    await openConversation(...state.openConversation, { quiet: true });
  }
  return ACTIVE.has(status.status) || state.runs.some((r) => ACTIVE.has(r.status));
}

function schedule(busy) {
  clearTimeout(state.pollTimer);
  state.pollTimer = busy ? setTimeout(poll, POLL_MS) : null;
}

async function poll() {
  try {
    schedule(await refreshAll());
  } catch (error) {
    schedule(false);
    banner(describeError(error, "Could not refresh"), false);
  }
}

async function openRun(runId) {
  if (runId !== state.openRun) state.openRunJson = "";
  state.openRun = runId;
  state.openConversation = null;
  $("#conversation").hidden = true;
  try {
    const run = await refreshOpenRun();
    renderItems(run);
    $("#run-detail").scrollIntoView({ block: "start" });
  } catch (error) {
    say("#run-status", describeError(error, "Could not open the run"), false);
  }
}

async function openConversation(runId, item, { quiet = false } = {}) {
  state.openConversation = [runId, item];
  try {
    renderConversation(await api("/api/evaluation/runs/" + enc(runId) + "/conversations/" + enc(item)));
    if (!quiet) $("#conversation").scrollIntoView({ block: "start" });
  } catch (error) {
    say("#run-status", describeError(error, "Could not open the conversation"), false);
  }
}

async function startRun(event) {
  event.preventDefault();
  const personas = [...document.querySelectorAll("#persona-list input:checked")].map((b) => b.value);
  const numbers = ["repeats", "judge-repeats", "max-turns"].map((id) => $("#" + id));
  const invalid = numbers.find((input) => !input.checkValidity());
  if (!$("#guideline").value) return say("#start-status", "Choose an approved guideline.", false);
  if (!personas.length) return say("#start-status", "Choose at least one persona.", false);
  if (invalid) {
    invalid.focus();
    return say("#start-status", invalid.labels[0].textContent + ": " + invalid.validationMessage, false);
  }
  $("#start").disabled = true;
  say("#start-status", "Starting…");
  try {
    const started = await post("/api/evaluation/start", {
      topic_id: $("#guideline").value, personas, mode: $("#mode").value,
      repeats: Number($("#repeats").value), judge_repeats: Number($("#judge-repeats").value),
      max_turns: Number($("#max-turns").value),
    });
    say("#start-status", "Started run " + started.run_id + ".", true);
    state.openRun = started.run_id;
    state.openRunJson = "";
    await poll();
  } catch (error) {
    say("#start-status", describeError(error, "Could not start"), false);
  } finally {
    $("#start").disabled = false;
  }
}

async function runAction(action, question) {
  const runId = state.openRun;
  if (!runId || !window.confirm(question)) return;
  try {
    await post("/api/evaluation/runs/" + enc(runId) + "/" + action);
    say("#run-status", (action === "resume" ? "Resumed" : "Evaluation restarted") + " for run " + runId + ".", true);
    state.openRunJson = "";
    await poll();
  } catch (error) {
    say("#run-status", describeError(error, "Could not " + action.replace("-", " ")), false);
  }
}

async function compare(event) {
  event.preventDefault();
  const a = $("#compare-a").value;
  const b = $("#compare-b").value;
  if (!a || !b) return say("#compare-status", "Choose two runs.", false);
  if (a === b) return say("#compare-status", "Choose two different runs.", false);
  say("#compare-status", "Comparing…");
  try {
    renderComparison(await api("/api/evaluation/compare?a=" + enc(a) + "&b=" + enc(b)));
    say("#compare-status", "Run B (" + b + ") against run A (" + a + "):", true);
  } catch (error) {
    $("#compare-result").replaceChildren();
    say("#compare-status", describeError(error, "Could not compare"), false);
  }
}

function clear() {
  clearTimeout(state.pollTimer);
  Object.assign(state, { runs: [], openRun: null, openRunJson: "", openConversation: null });
  for (const id of ["#runs-table tbody", "#guideline", "#persona-list", "#compare-a", "#compare-b", "#compare-result"]) {
    $(id).replaceChildren();
  }
  $("#run-detail").hidden = true;
  $("#conversation").hidden = true;
}

async function load() {
  if (!hasToken()) return banner("Paste an admin token to load the evaluation runs.", false);
  try {
    await loadForm();
    schedule(await refreshAll());
    banner("Loaded " + state.runs.length + " runs.", true);
  } catch (error) {
    clear();
    banner(describeError(error), false);
  }
}

$("#start-form").addEventListener("submit", startRun);
$("#compare-form").addEventListener("submit", compare);
$("#retry").addEventListener("click", () => runAction("retry-evaluation",
  "Judge every stored transcript of this run again?"));
$("#resume").addEventListener("click", () => runAction("resume",
  "Resume this run? Finished conversations are kept; the rest run again."));
wireTokenRow({ onUse: load, onForget: clear });
load();
