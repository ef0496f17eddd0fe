// The admin console at /admin: an admin gate, the header's navigation and a hash router that
// hands #/… to one small view module. A view's render() may return a cleanup function (its
// polling stops when the admin leaves the view).
import { $, currentUser, hasToken, signInHref, signOut } from "/admin/assets/client.js";

const ROUTES = [
  [/^#\/books\/([^/]+)\/pages\/(\d+)$/, "page_review", "books"],
  [/^#\/books\/([^/]+)$/, "book", "books"],
  [/^#\/guidelines\/([^/]+)$/, "guideline", "guidelines"],
  [/^#\/guidelines$/, "guidelines", "guidelines"],
  [/^(#\/books)?$/, "books", "books"],
];

let cleanup = null;
let generation = 0;

function gate(message) {
  if (cleanup) { cleanup(); cleanup = null; }
  $("#view").replaceChildren();
  $("#gate").hidden = false;
  $("#gate-message").textContent = message;
  $("#gate-link").href = signInHref("/admin" + location.hash);
  $("#who").textContent = "";
  $("#signout").hidden = true;
}

function signedInAdmin() {
  const user = hasToken() ? currentUser() : null;
  if (!user || !user.exp || user.exp * 1000 <= Date.now()) {
    gate(hasToken() ? "Your sign-in expired, sign in again." : "The console needs an admin's sign-in.");
    return null;
  }
  if (!user.isAdmin) {
    gate("Signed in as " + user.name + ", who is not an admin. Sign in as an admin.");
    return null;
  }
  $("#gate").hidden = true;
  $("#who").textContent = user.name;
  $("#signout").hidden = false;
  return user;
}

async function route() {
  if (!signedInAdmin()) return;
  const hash = decodeURI(location.hash);
  const [pattern, name, section] = ROUTES.find(([p]) => p.test(hash)) || ROUTES[ROUTES.length - 1];
  const params = (hash.match(pattern) || []).slice(1);
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (cleanup) { cleanup(); cleanup = null; }
  const mine = ++generation;
  const view = $("#view");
  view.replaceChildren();
  $("#banner").textContent = "";
  const module = await import("/admin/assets/console/" + name + ".js");
  if (mine !== generation) return;  // the admin moved on while the module loaded
  cleanup = (await module.render(view, params)) || null;
}

// A refused or expired token anywhere in the console: show the gate instead of a notice.
window.addEventListener("auth:required", (event) => {
  event.preventDefault();
  gate(event.detail.message);
});
window.addEventListener("hashchange", route);
$("#signout").addEventListener("click", signOut);
route();
