// The learner page: signs the student in, then shows one view at a time in #screen.
// Top-level views follow the URL's hash (#learn, #report, #history, #profile) so the browser's
// back button works; a lesson, an exam and its results are opened from them.
import { api, currentUser, hasToken, signInHref, signOut } from "../client.js";
import { describe } from "./ui.js";

const VIEWS = {
  learn: () => import("./browse.js"),
  subtopic: () => import("./subtopic.js"),
  chat: () => import("./chat.js"),
  exam: () => import("./exam.js"),
  results: () => import("./results.js"),
  report: () => import("./report.js"),
  history: () => import("./history.js"),
  profile: () => import("./profile.js"),
};
const TOP = ["learn", "report", "history", "profile"];

const screen = document.getElementById("screen");
const bannerEl = document.getElementById("banner");
let shown = null; // the hash the current top-level view was rendered for

const ctx = {
  profile: null,
  banner(text, ok = false) {
    bannerEl.textContent = text || "";
    bannerEl.className = "status " + (ok ? "ok" : "err");
  },
  /** Shows `name` with `params`; a top-level view also becomes the URL's hash. */
  async go(name, params = {}) {
    if (TOP.includes(name) && location.hash !== "#" + name) {
      shown = "#" + name;
      history.pushState(null, "", "#" + name);
    }
    markNav(TOP.includes(name) ? name : "learn");
    ctx.banner("");
    const view = await VIEWS[name]();
    screen.replaceChildren();
    try {
      await view.render(screen, ctx, params);
    } catch (error) {
      ctx.banner(describe(error, "Could not load this page"));
    }
    const heading = screen.querySelector(".view-title");
    if (heading) heading.focus();
  },
};

function markNav(name) {
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.view === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function hashView() {
  const name = location.hash.slice(1);
  return TOP.includes(name) ? name : "learn";
}

async function offlineNote() {
  // Public and token-free: which model serves the tutor. The bundled offline model (provider
  // `local`) only shows that the plumbing works; say so before anyone mistakes it for teaching.
  const note = document.getElementById("offline-note");
  try {
    const response = await fetch("/config/models");
    const models = response.ok ? await response.json() : null;
    const tutor = models && models.tutor;
    if (tutor && tutor.provider === "local") {
      note.textContent = "Demo mode: the tutor runs on the small offline model bundled with " +
        "the app (" + tutor.model_id + "). Its answers are a demo of the plumbing, not teaching.";
      note.hidden = false;
    }
  } catch (_) { /* the note is a courtesy; the page works without it */ }
}

async function start() {
  offlineNote();
  if (!hasToken()) {
    // The sign-in screen ("continue as student", or the Cognito login) brings the student back.
    location.assign(signInHref("/" + location.hash));
    return;
  }
  const user = currentUser();
  document.getElementById("nav").hidden = false;
  const signOutButton = document.getElementById("sign-out");
  signOutButton.hidden = false;
  signOutButton.addEventListener("click", () => signOut());
  try {
    ctx.profile = await api("/profile");
  } catch (error) {
    ctx.banner(describe(error, "Could not load your profile"));
    return;
  }
  document.getElementById("who-name").textContent =
    ctx.profile.preferred_name || ctx.profile.name || (user && user.name) || "";
  // A nav link opens its view even when the URL already names it (from inside a lesson the
  // hash is still #learn, and following the same hash fires no hashchange).
  document.getElementById("nav").addEventListener("click", (event) => {
    const link = event.target.closest("a[data-view]");
    if (!link) return;
    event.preventDefault();
    ctx.go(link.dataset.view);
  });
  window.addEventListener("hashchange", () => {
    if (location.hash !== shown) { shown = location.hash; ctx.go(hashView()); }
  });
  shown = location.hash;
  // Without a grade and board there is no curriculum to show: ask for them first.
  const ready = ctx.profile.grade && ctx.profile.board;
  ctx.go(ready ? hashView() : "profile", ready ? {} : { first: true });
}

start();
