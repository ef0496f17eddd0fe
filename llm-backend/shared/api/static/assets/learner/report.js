// The report card: every subtopic studied, by subject and topic, with lesson coverage, the
// latest exam (questions answered correctly of those set) and when it was last studied.
import { api, el } from "../client.js";
import { count, date, pct, title } from "./ui.js";

export async function render(root, ctx) {
  const card = await api("/sessions/report-card");
  const section = el("section", { "aria-labelledby": "report-title" });
  const h = title("Report card");
  h.id = "report-title";
  section.append(h);
  root.append(section);
  if (!card.total_sessions) {
    section.append(el("p", { text: "No sessions yet. Pick a subtopic under Learn to start." }));
    return;
  }
  section.append(el("p", { id: "report-totals", className: "meta",
    text: `${count(card.total_sessions, "session")} · ` +
          `${count(card.total_topics_studied, "topic")} studied` }));
  for (const subject of card.subjects) {
    const block = el("section", { "aria-label": subject.subject },
                     el("h3", { text: subject.subject }));
    for (const topic of subject.topics) {
      const items = el("ul", { className: "cards" });
      for (const s of topic.subtopics) {
        const facts = [el("span", { text: "Coverage " + pct(s.coverage) })];
        if (s.latest_exam_score !== null && s.latest_exam_total !== null) {
          facts.push(el("span", { text: `Latest exam ${s.latest_exam_score}/${s.latest_exam_total} correct` }));
        }
        if (s.last_studied) facts.push(el("span", { text: "Last studied " + date(s.last_studied) }));
        const li = el("li", { dataset: { subtopic: s.subtopic_key } },
          el("h5", { text: s.subtopic }), el("div", { className: "meta" }, ...facts));
        if (s.guideline_id) {
          li.append(el("button", { type: "button", className: "secondary", text: "Practise again",
            "aria-label": "Practise " + s.subtopic + " again",
            onclick: () => ctx.go("subtopic", { subject: subject.subject, topic: topic.topic,
                                               subtopic: s.subtopic, guidelineId: s.guideline_id }) }));
        }
        items.append(li);
      }
      block.append(el("h4", { text: topic.topic }), items);
    }
    section.append(block);
  }
}
