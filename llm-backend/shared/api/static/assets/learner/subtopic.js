// One subtopic: start a lesson (teach_me), an exam or a doubts session; a paused lesson or an
// unfinished exam is offered first, and finished exams can be reviewed.
import { api, el } from "../client.js";
import { crumbs, date, describe, pct, title } from "./ui.js";

const MODES = [
  ["teach_me", "Start a lesson", "The tutor teaches step by step and checks what you know."],
  ["exam", "Take an exam", "Answer every question; your marks come at the end."],
  ["clarify_doubts", "Ask doubts", "Ask the tutor anything about this subtopic."],
];

export async function render(root, ctx, place) {
  const { subject, topic, subtopic, guidelineId } = place;
  const { sessions } = await api("/sessions/guideline/" + encodeURIComponent(guidelineId));
  const paused = sessions.find((s) => s.mode === "teach_me" && s.is_paused);
  const running = sessions.find((s) => s.mode === "exam" && !s.is_complete && s.exam_answered > 0);
  const pastExams = sessions.filter((s) => s.mode === "exam" && s.exam_finished);

  const section = el("section", { "aria-labelledby": "subtopic-title" });
  const h = title(subtopic);
  h.id = "subtopic-title";
  const status = el("p", { className: "status", role: "status", "aria-live": "polite" });
  const offer = el("div", { id: "offer" });
  section.append(h, crumbs([
    ["Subjects", () => ctx.go("learn")],
    [subject, () => ctx.go("learn", { subject })],
    [topic, () => ctx.go("learn", { subject, topic })],
    [subtopic, null],
  ]), offer);
  root.append(section);

  const buttons = [];
  const busy = (on) => buttons.forEach((b) => { b.disabled = on; });

  async function resume(session) {
    busy(true);
    status.textContent = "Resuming your lesson…";
    try {
      await api(`/sessions/${session.session_id}/resume`, { method: "POST" });
      ctx.go("chat", { ...place, sessionId: session.session_id });
    } catch (error) {
      busy(false);
      status.textContent = describe(error, "Could not resume");
    }
  }

  async function create(mode) {
    busy(true);
    status.textContent = mode === "exam" ? "Preparing your question paper…" : "Starting…";
    const profile = ctx.profile;
    try {
      const created = await api("/sessions", { method: "POST", body: {
        student: { id: profile.id, grade: profile.grade, prefs: { style: "standard", lang: "en" } },
        goal: { topic, syllabus: `${profile.board}-G${profile.grade}`,
                learning_objectives: ["Learn " + subtopic], guideline_id: guidelineId },
        mode,
      } });
      ctx.go(mode === "exam" ? "exam" : "chat", { ...place, sessionId: created.session_id });
    } catch (error) {
      busy(false);
      status.textContent = describe(error, "Could not start");
    }
  }

  function offerPaused(session, asked) {
    const resumeButton = el("button", { type: "button", text: "Resume paused lesson",
                                        onclick: () => resume(session) });
    buttons.push(resumeButton);
    const parts = [el("p", { text: `You paused a lesson here with ${pct(session.coverage)} ` +
                                   "covered. Pick up where you left off?" }), resumeButton];
    if (asked) {
      const fresh = el("button", { type: "button", className: "secondary",
                                   text: "Start a new lesson", onclick: () => create("teach_me") });
      buttons.push(fresh);
      parts.push(" ", fresh);
    }
    offer.replaceChildren(el("div", { className: "offer", role: "group",
                                      "aria-label": "Paused lesson" }, ...parts));
    if (asked) resumeButton.focus();
  }

  if (paused) offerPaused(paused, false);
  if (running) {
    const go = el("button", { type: "button", text: "Continue exam",
      onclick: () => ctx.go("exam", { ...place, sessionId: running.session_id }) });
    buttons.push(go);
    offer.append(el("div", { className: "offer" },
      el("p", { text: `You have an exam in progress: ${running.exam_answered} of ` +
                      `${running.exam_total} answered.` }), go));
  }

  const list = el("ul", { className: "cards modes", "aria-label": "Ways to learn" });
  for (const [mode, label, help] of MODES) {
    const button = el("button", { type: "button", text: label, dataset: { mode },
      onclick: () => (mode === "teach_me" && paused ? offerPaused(paused, true) : create(mode)) });
    if (mode === "exam" && running) button.disabled = true;
    buttons.push(button);
    list.append(el("li", {}, button, el("p", { className: "desc", text: help })));
  }
  section.append(list, status);

  if (pastExams.length) {
    const past = el("section", { "aria-labelledby": "past-title" },
      el("h3", { id: "past-title", text: "Past exams" }));
    const items = el("ul", { className: "cards" });
    for (const exam of pastExams) {
      items.append(el("li", {},
        el("div", { className: "meta" },
          el("span", { text: date(exam.created_at) }),
          el("span", { text: `${exam.exam_score}/${exam.exam_total}` })),
        el("button", { type: "button", className: "secondary", text: "See results",
          "aria-label": `See results of the exam of ${date(exam.created_at)}`,
          onclick: () => ctx.go("results", { ...place, sessionId: exam.session_id }) })));
    }
    past.append(items);
    root.append(past);
  }
}
