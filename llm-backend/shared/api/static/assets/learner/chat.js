// A lesson (teach_me) or a doubts session (clarify_doubts): the conversation, the progress
// (step k of N and mastery, or the concepts discussed), pause (lessons) and end.
import { api, el } from "../client.js";
import { describe, MODE_LABELS, pct, plain, title } from "./ui.js";

export async function render(root, ctx, place) {
  const { sessionId } = place;
  const state = await api(`/sessions/${sessionId}/replay`);
  const lesson = state.mode === "teach_me";
  const totalSteps = state.topic.study_plan.steps.length;
  const masteries = Object.values(state.mastery_estimates || {});

  const section = el("section", { "aria-labelledby": "chat-title" });
  const h = title(`${MODE_LABELS[state.mode]}: ${place.subtopic || state.topic.topic_name}`);
  h.id = "chat-title";
  const stepText = el("span", { id: "step" });
  const masteryBar = el("progress", { id: "mastery", max: "100", value: "0",
                                      "aria-labelledby": "mastery-label" });
  const masteryText = el("span", { id: "mastery-label" });
  const concepts = el("span", { id: "concepts" });
  const progress = el("div", { className: "progress-row", "aria-label": "Progress",
                               role: "group" });
  if (lesson) progress.append(stepText, el("span", {}, masteryText, " ", masteryBar));
  else progress.append(concepts);

  const log = el("ol", { className: "chat", "aria-label": "Conversation", "aria-live": "polite" });
  const status = el("p", { className: "status", role: "status", "aria-live": "polite" });
  const input = el("textarea", { id: "reply", name: "reply", rows: "3", maxlength: "2000",
                                 required: "" });
  const send = el("button", { type: "submit", text: "Send" });
  const form = el("form", { className: "reply-form" },
    el("label", { for: "reply", text: lesson ? "Your answer" : "Your question" }), input,
    el("div", { className: "actions" }, send));
  const pause = el("button", { type: "button", className: "secondary", text: "Pause lesson" });
  const end = el("button", { type: "button", className: "secondary",
                             text: lesson ? "End lesson" : "End session" });
  const controls = el("div", { className: "actions" }, ...(lesson ? [pause] : []), end);
  section.append(h, progress, log, status, form, controls);
  root.append(section);

  function say(role, text) {
    log.append(el("li", { className: role === "student" ? "student" : "teacher" },
      el("span", { className: "who-said", text: role === "student" ? "You" : "Tutor" }),
      el("span", { text: role === "student" ? text : plain(text) })));
  }
  function showProgress(step, mastery, discussed) {
    stepText.textContent = step > totalSteps ? `All ${totalSteps} steps done`
                                             : `Step ${step} of ${totalSteps}`;
    masteryText.textContent = "Mastery " + pct(mastery * 100);
    masteryBar.value = Math.round(mastery * 100);
    concepts.textContent = discussed && discussed.length
      ? "Discussed: " + discussed.join(", ") : "No concepts discussed yet";
  }
  const disable = (on) => [input, send, pause, end].forEach((c) => { c.disabled = on; });

  for (const message of state.full_conversation_log) say(message.role, message.content);
  showProgress(state.current_step,
               masteries.length ? masteries.reduce((a, b) => a + b, 0) / masteries.length : 0,
               state.concepts_discussed);
  const complete = state.clarify_complete || (lesson && state.current_step > totalSteps);
  if (complete) return finish(true);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) { status.textContent = "Write something first."; input.focus(); return; }
    disable(true);
    say("student", text);
    input.value = "";
    status.textContent = "The tutor is thinking…";
    try {
      const { next_turn: turn } = await api(`/sessions/${sessionId}/step`,
                                            { method: "POST", body: { student_reply: text } });
      say("teacher", turn.message);
      showProgress(turn.step_idx, turn.mastery_score, turn.concepts_discussed);
      status.textContent = "";
      if (turn.is_complete) return finish(true);
    } catch (error) {
      status.textContent = describe(error, "Your message was not answered");
      input.value = text;
    }
    disable(false);
    input.focus();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });

  pause.addEventListener("click", async () => {
    disable(true);
    try {
      const paused = await api(`/sessions/${sessionId}/pause`, { method: "POST" });
      form.remove();
      controls.replaceChildren(back());
      status.textContent = paused.message;
      controls.querySelector("button").focus();
    } catch (error) {
      disable(false);
      status.textContent = describe(error, "Could not pause");
    }
  });

  end.addEventListener("click", async () => {
    disable(true);
    try {
      if (!lesson) await api(`/sessions/${sessionId}/end-clarify`, { method: "POST" });
      await finish(false);
    } catch (error) {
      disable(false);
      status.textContent = describe(error, "Could not end the session");
    }
  });

  function back() {
    return el("button", { type: "button", text: "Back to the subtopic",
      onclick: () => (place.guidelineId ? ctx.go("subtopic", place) : ctx.go("learn")) });
  }

  async function finish(completed) {
    form.remove();
    controls.replaceChildren();
    const summary = el("section", { className: "summary", "aria-labelledby": "summary-title" });
    if (lesson) {
      const s = await api(`/sessions/${sessionId}/summary`);
      summary.append(el("h3", { id: "summary-title", tabindex: "-1",
                                text: completed ? "Lesson complete" : "Lesson ended" }),
        el("dl", {},
          el("dt", { text: "Steps completed" }), el("dd", { text: String(s.steps_completed) }),
          el("dt", { text: "Coverage" }), el("dd", { text: pct(s.coverage) }),
          el("dt", { text: "Mastery" }), el("dd", { text: pct(s.mastery_score * 100) })),
        ...listOf("Misconceptions seen", s.misconceptions_seen),
        ...listOf("Suggestions", s.suggestions));
    } else {
      const done = await api(`/sessions/${sessionId}/replay`);
      summary.append(el("h3", { id: "summary-title", tabindex: "-1", text: "Session ended" }),
        ...listOf("Concepts discussed", done.concepts_discussed));
    }
    summary.append(el("div", { className: "actions" }, back()));
    section.append(summary);
    summary.querySelector("h3").focus();
  }
}

function listOf(label, items) {
  if (!items || !items.length) return [];
  return [el("h4", { text: label }), el("ul", {}, ...items.map((t) => el("li", { text: t })))];
}
