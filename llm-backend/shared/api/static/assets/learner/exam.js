// An exam: one question at a time ("Question k of N"), each answer sent as it is given (the
// server marks it against its own pointer and reveals nothing until the end), then the results.
import { api, el } from "../client.js";
import { describe, title } from "./ui.js";

export async function render(root, ctx, place) {
  const { sessionId } = place;
  const state = await api(`/sessions/${sessionId}/replay`);
  if (state.exam_finished) return ctx.go("results", place);
  const questions = state.exam_questions;
  let index = questions.findIndex((q) => !q.student_answer);
  if (index < 0) index = questions.length - 1;

  const section = el("section", { "aria-labelledby": "exam-title" });
  const h = title("Exam: " + (place.subtopic || state.topic.topic_name));
  h.id = "exam-title";
  const counter = el("p", { id: "exam-progress", className: "progress-row" });
  const question = el("p", { id: "question", className: "question" });
  const input = el("textarea", { id: "answer", name: "answer", rows: "4", maxlength: "2000",
                                 required: "" });
  const submit = el("button", { type: "submit", text: "Submit answer" });
  const status = el("p", { className: "status", role: "status", "aria-live": "polite" });
  const form = el("form", { className: "reply-form", "aria-labelledby": "exam-progress" },
    question, el("label", { for: "answer", text: "Your answer" }), input,
    el("div", { className: "actions" }, submit));
  const endButton = el("button", { type: "button", className: "secondary",
                                   text: "End exam now" });
  const confirmBox = el("div", { className: "actions" });
  section.append(h, counter, form, status, el("div", { className: "actions" }, endButton),
                 confirmBox);
  root.append(section);

  function show() {
    counter.textContent = `Question ${index + 1} of ${questions.length}`;
    question.textContent = questions[index].question_text;
  }
  const disable = (on) => [input, submit, endButton].forEach((c) => { c.disabled = on; });
  show();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) { status.textContent = "Write an answer first."; input.focus(); return; }
    disable(true);
    status.textContent = "Saving your answer…";
    try {
      const { next_turn: turn } = await api(`/sessions/${sessionId}/step`,
                                            { method: "POST", body: { student_reply: text } });
      if (turn.is_complete) return ctx.go("results", place);
      index = turn.exam_progress.current_question - 1;
      input.value = "";
      status.textContent = `Answer saved (${turn.exam_progress.answered_questions} of ` +
                           `${turn.exam_progress.total_questions} answered).`;
      show();
    } catch (error) {
      status.textContent = describe(error, "Your answer was not saved");
    }
    disable(false);
    input.focus();
  });

  endButton.addEventListener("click", () => {
    const yes = el("button", { type: "button", text: "Yes, end the exam", onclick: async () => {
      disable(true);
      yes.disabled = true;
      try {
        await api(`/sessions/${sessionId}/end-exam`, { method: "POST" });
        ctx.go("results", place);
      } catch (error) {
        disable(false);
        status.textContent = describe(error, "Could not end the exam");
      }
    } });
    const no = el("button", { type: "button", className: "secondary", text: "Keep going",
                              onclick: () => { confirmBox.replaceChildren(); input.focus(); } });
    confirmBox.replaceChildren(
      el("p", { text: "Questions you have not answered will score 0. End the exam?" }), yes, no);
    yes.focus();
  });
}
