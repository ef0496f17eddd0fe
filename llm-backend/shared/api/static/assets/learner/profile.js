// The student's profile: the name the tutor uses, and the grade and board that choose the
// curriculum (asked for first when missing).
import { api, el } from "../client.js";
import { title } from "./ui.js";

const BOARDS = ["CBSE", "ICSE", "State Board", "Other"];

function field(id, label, control) {
  control.id = id;
  control.name = id.replace("-", "_");
  return el("div", {}, el("label", { for: id, text: label }), control);
}

export async function render(root, ctx, { first = false } = {}) {
  const p = ctx.profile;
  const section = el("section", { "aria-labelledby": "profile-title" });
  const h = title(first ? "Before you start" : "Profile");
  h.id = "profile-title";
  const name = el("input", { type: "text", maxlength: "100", autocomplete: "name",
                             value: p.name || "" });
  const preferred = el("input", { type: "text", maxlength: "100", value: p.preferred_name || "" });
  const grade = el("select", { required: "" },
    el("option", { value: "", text: "Choose…" }),
    ...Array.from({ length: 12 }, (_, i) => el("option", { value: String(i + 1),
                                                           text: "Grade " + (i + 1) })));
  grade.value = p.grade ? String(p.grade) : "";
  const board = el("select", { required: "" },
    ...BOARDS.map((b) => el("option", { value: b, text: b })));
  board.value = p.board || "CBSE";
  const status = el("p", { className: "status", role: "status", "aria-live": "polite" });
  const form = el("form", { novalidate: "" },
    el("div", { className: "form-grid" },
      field("name", "Name", name), field("preferred-name", "What the tutor calls you", preferred),
      field("grade", "Grade", grade), field("board", "Board", board)),
    el("div", { className: "actions" }, el("button", { type: "submit", text: "Save" })), status);
  section.append(h);
  if (first) {
    section.append(el("p", { text: "Tell us your grade and board to see your subjects." }));
  }
  section.append(form);
  root.append(section);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!grade.value) { status.textContent = "Choose your grade."; grade.focus(); return; }
    // Only what is filled in: an empty name is left as it was (the API refuses "").
    const body = { grade: Number(grade.value), board: board.value,
                   preferred_name: preferred.value.trim() };
    if (name.value.trim()) body.name = name.value.trim();
    try {
      ctx.profile = await api("/profile", { method: "PUT", body });
      status.className = "status ok";
      status.textContent = "Saved.";
      document.getElementById("who-name").textContent =
        ctx.profile.preferred_name || ctx.profile.name || "";
      if (first) ctx.go("learn");
    } catch (error) {
      status.className = "status err";
      status.textContent = "Could not save: " + error.message;
    }
  });
}
