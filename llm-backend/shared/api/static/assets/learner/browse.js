// Subject → topic → subtopic, from the approved curriculum for the student's board and grade,
// with a badge on each subtopic already studied (its lesson coverage).
import { api, el } from "../client.js";
import { crumbs, pct, title } from "./ui.js";

function curriculumPath(profile, extra = {}) {
  const query = new URLSearchParams({ country: "India", board: profile.board,
                                      grade: String(profile.grade), ...extra });
  return "/curriculum?" + query;
}

function choiceList(label, items) {
  return el("ul", { className: "choices", "aria-label": label },
    ...items.map((item) => el("li", {}, item)));
}

export async function render(root, ctx, { subject, topic } = {}) {
  const profile = ctx.profile;
  const trail = [["Subjects", subject ? () => ctx.go("learn") : null]];
  if (subject) trail.push([subject, topic ? () => ctx.go("learn", { subject }) : null]);
  if (topic) trail.push([topic, null]);
  const heading = topic ? "Pick a subtopic" : subject ? "Pick a topic" : "Pick a subject";
  const section = el("section", { "aria-labelledby": "browse-title" });
  const h = title(heading);
  h.id = "browse-title";
  section.append(h, crumbs(trail),
    el("p", { className: "desc", text: `${profile.board}, grade ${profile.grade}` }));
  root.append(section);

  if (!subject) {
    const { subjects } = await api(curriculumPath(profile));
    section.append(list(subjects, "Subjects", (s) => ctx.go("learn", { subject: s })));
  } else if (!topic) {
    const { topics } = await api(curriculumPath(profile, { subject }));
    section.append(list(topics, "Topics", (t) => ctx.go("learn", { subject, topic: t })));
  } else {
    const [{ subtopics }, progress] = await Promise.all([
      api(curriculumPath(profile, { subject, topic })),
      api("/sessions/subtopic-progress"),
    ]);
    const studied = progress.user_progress || {};
    const buttons = (subtopics || []).map((s) => {
      const seen = studied[s.guideline_id];
      const badge = seen
        ? el("span", { className: "badge done", text: "Studied · " + pct(seen.coverage) })
        : el("span", { className: "badge", text: "New" });
      return el("button", { type: "button", dataset: { guideline: s.guideline_id },
        onclick: () => ctx.go("subtopic", { subject, topic, subtopic: s.subtopic,
                                            guidelineId: s.guideline_id }) },
        el("span", { text: s.subtopic }), badge);
    });
    section.append(buttons.length ? choiceList("Subtopics", buttons) : empty());
  }
}

function list(names, label, open) {
  if (!names || !names.length) return empty();
  return choiceList(label, names.map((name) =>
    el("button", { type: "button", onclick: () => open(name) }, el("span", { text: name }))));
}

function empty() {
  return el("p", { className: "desc",
    text: "Nothing approved here yet for your board and grade. Check your profile's grade." });
}
