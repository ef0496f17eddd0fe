// A finished exam's results: the score, then each question with the answer given, the
// expected answer, the mark and why (from the exam review route, owner only).
import { api, el } from "../client.js";
import { date, pct, title } from "./ui.js";

const MARK = (score) => (score >= 0.8 ? "correct" : score >= 0.2 ? "partial" : "incorrect");

export async function render(root, ctx, place) {
  const review = await api(`/sessions/${place.sessionId}/exam-review`);
  const feedback = review.exam_feedback;
  const total = feedback ? feedback.total : review.questions.length;
  const score = feedback ? feedback.score
                         : review.questions.reduce((sum, q) => sum + (q.score || 0), 0);
  const section = el("section", { "aria-labelledby": "results-title" });
  const h = title("Exam results" + (place.subtopic ? ": " + place.subtopic : ""));
  h.id = "results-title";
  section.append(h,
    el("p", { className: "desc", text: date(review.created_at) }),
    el("p", { id: "exam-score", className: "big",
              text: `${score}/${total}` + (feedback ? ` (${pct(feedback.percentage)})` : "") }));
  if (feedback) {
    for (const [label, items] of [["To work on", feedback.weak_areas],
                                  ["Next steps", feedback.next_steps]]) {
      if (items && items.length) {
        section.append(el("h3", { text: label }),
                       el("ul", {}, ...items.map((t) => el("li", { text: t }))));
      }
    }
  }
  const list = el("ol", { className: "results", "aria-label": "Questions" });
  for (const q of review.questions) {
    const mark = MARK(q.score || 0);
    list.append(el("li", { dataset: { question: String(q.question_idx) } },
      el("strong", { text: `Q${q.question_idx + 1}. ` }), el("span", { text: q.question_text }),
      el("dl", {},
        el("dt", { text: "Your answer" }), el("dd", { text: q.student_answer || "(no answer)" }),
        el("dt", { text: "Expected" }), el("dd", { text: q.expected_answer }),
        el("dt", { text: "Mark" }),
        el("dd", { className: "mark-" + mark, text: `${q.score || 0}/1 (${mark})` }),
        el("dt", { text: "Why" }), el("dd", { text: q.marks_rationale || "" }))));
  }
  section.append(el("h3", { text: "Question by question" }), list);
  const back = place.guidelineId
    ? el("button", { type: "button", text: "Back to the subtopic",
                     onclick: () => ctx.go("subtopic", place) })
    : el("button", { type: "button", text: "Back to history", onclick: () => ctx.go("history") });
  section.append(el("div", { className: "actions" }, back));
  root.append(section);
}
