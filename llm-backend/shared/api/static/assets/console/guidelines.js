// #/guidelines: the synced guidelines to review, with filters and counts; read one, approve
// or reject it, delete it (after a confirmation), open its study plan.
import { api, el } from "/admin/assets/client.js";
import { badge, confirmed, field, say } from "/admin/assets/console/ui.js";

export async function render(root) {
  let filters;
  try {
    filters = await api("/admin/guidelines/review/filters");
  } catch (error) {
    say("Could not load the filters: " + error.message, false);
    return;
  }
  const choose = (label, name, values) => field(label, { name, value: "",
    options: [["", "Any"], ...values.map((v) => [String(v), String(v)])] });
  const form = el("form", { className: "form-grid", "aria-label": "Filter guidelines" },
    choose("Country", "country", filters.countries), choose("Board", "board", filters.boards),
    choose("Grade", "grade", filters.grades), choose("Subject", "subject", filters.subjects),
    choose("Review status", "status", filters.review_statuses));
  const counts = el("p", { className: "counts", id: "review-counts" });
  const list = el("ul", { className: "cards", id: "guideline-list" });
  root.append(el("section", { "aria-labelledby": "gl-title" },
    el("h2", { id: "gl-title", text: "Guideline review" }), form, counts, list));

  async function load() {
    const query = new URLSearchParams();
    for (const name of ["country", "board", "grade", "subject", "status"]) {
      if (form.elements[name].value) query.set(name, form.elements[name].value);
    }
    try {
      const [rows, fresh] = await Promise.all([api("/admin/guidelines/review?" + query),
                                               api("/admin/guidelines/review/filters")]);
      const c = fresh.counts;
      counts.replaceChildren(el("span", { text: "Total " + c.total }), el("span", { text: "To review " + c.pending }),
                             el("span", { text: "Approved " + c.approved }), el("span", { text: "Shown " + rows.length }));
      list.replaceChildren(...rows.map((g) => card(g, load)));
      if (!rows.length) list.replaceChildren(el("li", { className: "meta", text: "No guideline matches." }));
    } catch (error) {
      say("Could not load guidelines: " + error.message, false);
    }
  }
  form.addEventListener("change", load);
  await load();
}

function card(g, reload) {
  const name = [g.subject, g.topic, g.subtopic].filter(Boolean).join(" › ");
  const text = el("p", { className: "guideline-text", text: g.guideline || "(empty)", hidden: true });
  const read = el("button", { type: "button", className: "secondary small", "aria-expanded": "false",
                              text: "Read", "aria-label": "Read " + name });
  read.addEventListener("click", () => {
    text.hidden = !text.hidden;
    read.setAttribute("aria-expanded", String(!text.hidden));
  });
  const approved = g.review_status === "APPROVED";
  const decide = el("button", { type: "button", className: "small", text: approved ? "Reject" : "Approve",
                                "aria-label": (approved ? "Reject " : "Approve ") + name });
  decide.addEventListener("click", async () => {
    try {
      await api(`/admin/guidelines/${encodeURIComponent(g.id)}/approve`, { method: "POST", body: { approved: !approved } });
      say((approved ? "Rejected " : "Approved ") + name + ".");
      reload();
    } catch (error) {
      say("Could not change the review: " + error.message, false);
    }
  });
  const remove = el("button", { type: "button", className: "danger small", text: "Delete", "aria-label": "Delete " + name });
  remove.addEventListener("click", () => confirmed(`Delete the guideline "${name}" and its study plan?`, async () => {
    try {
      await api(`/admin/guidelines/${encodeURIComponent(g.id)}`, { method: "DELETE" });
      say("Deleted " + name + ".");
      reload();
    } catch (error) {
      say("Could not delete: " + error.message, false);
    }
  }));
  return el("li", { className: "card", dataset: { guideline: g.id } },
    el("div", { className: "grow" }, el("strong", { text: name }),
       el("div", { className: "meta", text: [g.country, g.board, "grade " + g.grade].join(" · ") })),
    badge(g.review_status === "APPROVED" ? "approved" : "to review", g.review_status),
    read, decide, remove,
    el("a", { href: "#/guidelines/" + encodeURIComponent(g.id), text: "Study plan",
              "aria-label": "Study plan of " + name }),
    text);
}
