// The learner page: signs the student in, then shows one view at a time in #screen.
// The URL's hash names the view (#learn, #report, #history, #profile; #chat/<id>, #exam/<id>,
// #results/<id> for a session) so the back button works and a reload keeps a lesson open.
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
const SESSION_VIEWS = ["chat", "exam", "results"];

const screen = document.getElementById("screen");
const bannerEl = document.getElementById("banner");
let shown = null; // the hash the current view was rendered for

function hashFor(name, params) {
  if (SESSION_VIEWS.includes(name) && params.sessionId) return `#${name}/${params.sessionId}`;
  return TOP.includes(name) ? "#" + name : "#learn";
}

const ctx = {
  profile: null,
  banner(text, ok = false) {
    bannerEl.textContent = text || "";
    bannerEl.className = "status " + (ok ? "ok" : "err");
  },
  /** Shows `name` with `params`, and names it in the URL's hash. */
  async go(name, params = {}) {
    // The view and its place (subject, topic, subtopic names) go into the history entry too:
    // a reload or the back button then restores the whole place, not just the hash's id.
    const hash = hashFor(name, params);
    const entry = { view: name, params };
    if (location.hash !== hash) history.pushState(entry, "", hash);
    else history.replaceState(entry, "", hash);
    shown = hash;
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

/** [view, params] named by the URL's hash (and its history entry); ids are only ever used
 *  inside API paths. */
function hashView() {
  const saved = history.state;
  if (saved && VIEWS[saved.view] && hashFor(saved.view, saved.params || {}) === location.hash) {
    return [saved.view, saved.params || {}];
  }
  const [name, id] = location.hash.slice(1).split("/");
  if (SESSION_VIEWS.includes(name) && /^[\w-]{1,100}$/.test(id || "")) {
    return [name, { sessionId: id }];
  }
  return [TOP.includes(name) ? name : "learn", {}];
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
  // A nav link opens its view even when the URL already names it (inside a subject or a
  // subtopic the hash is still #learn, and following the same hash fires no hashchange).
  document.getElementById("nav").addEventListener("click", (event) => {
    const link = event.target.closest("a[data-view]");
    if (!link) return;
    event.preventDefault();
    ctx.go(link.dataset.view);
  });
  window.addEventListener("hashchange", () => {
    if (location.hash !== shown) { shown = location.hash; ctx.go(...hashView()); }
  });
  shown = location.hash;
  // Without a grade and board there is no curriculum to show: ask for them first.
  const ready = ctx.profile.grade && ctx.profile.board;
  if (ready) ctx.go(...hashView());
  else ctx.go("profile", { first: true });
}

start();
