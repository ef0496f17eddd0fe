// #/guidelines/{id}: one guideline and its study plan; (re)generate the plan in a job and
// show it when the job is done.
import { ApiError, api, el } from "/admin/assets/client.js";
import { badge, say } from "/admin/assets/console/ui.js";

const POLL_MS = 1000;

export async function render(root, [guidelineId]) {
  const path = "/admin/guidelines/" + encodeURIComponent(guidelineId);
  let g;
  try {
    g = await api(path);
  } catch (error) {
    say("Could not load the guideline: " + error.message, false);
    return;
  }
  let timer = null;
  const plan = el("div", { id: "study-plan", "aria-live": "polite" });
  const generate = el("button", { type: "button", id: "generate-plan", text: "Generate study plan" });
  const name = [g.subject, g.topic, g.subtopic].filter(Boolean).join(" › ");
  root.append(
    el("section", { "aria-labelledby": "g-title" },
      el("p", {}, el("a", { href: "#/guidelines", text: "← Back to guideline review" })),
      el("h2", { id: "g-title", text: name }),
      el("div", { className: "actions" }, badge(g.review_status === "APPROVED" ? "approved" : "to review", g.review_status),
         el("span", { className: "meta", text: [g.country, g.board, "grade " + g.grade,
           g.source_page_start ? "pages " + g.source_page_start + "-" + g.source_page_end : ""].filter(Boolean).join(" · ") })),
      el("p", { className: "guideline-text", text: g.guideline || "" })),
    el("section", { "aria-labelledby": "plan-title" },
      el("h2", { id: "plan-title", text: "Study plan" }), plan, generate));

  async function loadPlan() {
    try {
      showPlan(await api(path + "/study-plan"));
      generate.textContent = "Regenerate study plan";
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      plan.replaceChildren(el("p", { className: "meta", text: "No study plan yet." }));
    }
  }

  function showPlan(body) {
    const m = body.metadata || {};
    plan.replaceChildren(
      el("p", { className: "meta", text: [m.difficulty_level, m.estimated_duration_minutes ? m.estimated_duration_minutes + " min" : "",
                                          m.creative_theme ? "theme: " + m.creative_theme : "", "version " + (m.plan_version ?? "?")]
                                         .filter(Boolean).join(" · ") }),
      el("ol", { className: "steps" }, ...body.todo_list.map((s) => el("li", {},
        el("strong", { text: s.title }), el("div", { text: s.description }),
        el("div", { className: "meta", text: "Approach: " + s.teaching_approach }),
        el("div", { className: "meta", text: "Done when: " + s.success_criteria })))));
  }

  generate.addEventListener("click", async () => {
    generate.disabled = true;
    try {
      const started = await api(path + "/generate-study-plan?force_regenerate=true", { method: "POST" });
      plan.replaceChildren(el("p", { className: "meta", text: "Generating the study plan…" }));
      const job = `/admin/books/${encodeURIComponent(started.book_id)}/jobs/${encodeURIComponent(started.job_id)}`;
      const poll = async () => {
        const state = await api(job);
        if (state.status === "completed") { await loadPlan(); say("Study plan ready."); generate.disabled = false; }
        else if (state.status === "failed") {
          say("Generating the plan failed: " + (state.error_message || "see the book's jobs"), false);
          generate.disabled = false;
        } else timer = setTimeout(() => poll().catch(fail), POLL_MS);
      };
      await poll();
    } catch (error) {
      fail(error);
    }
  });
  function fail(error) {
    say("Could not generate: " + error.message, false);
    generate.disabled = false;
  }

  try {
    await loadPlan();
  } catch (error) {
    say("Could not load the study plan: " + error.message, false);
  }
  return () => clearTimeout(timer);
}
