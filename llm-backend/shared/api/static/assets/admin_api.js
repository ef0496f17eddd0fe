// What every admin page shares: the pasted admin token (session storage), calls to the API
// with it, the messages for refused tokens, and small DOM helpers that only ever set text.

const TOKEN_KEY = "tutorAdminToken";

export const $ = (selector, root = document) => root.querySelector(selector);

export function hasToken() {
  return Boolean(sessionStorage.getItem(TOKEN_KEY));
}

/** A JSON call with the admin's bearer token; throws an Error carrying `status`. */
export async function api(path, init = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) throw new Error("Enter an admin token first.");
  const response = await fetch(path, {
    ...init,
    headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json",
               ...(init.headers || {}) },
  });
  let body = null;
  try { body = await response.json(); } catch (_) { /* empty or non-JSON body */ }
  if (!response.ok) {
    const message = body && body.error ? body.error.message : response.statusText;
    const error = new Error(message || ("HTTP " + response.status));
    error.status = response.status;
    throw error;
  }
  return body;
}

/** The sentence a page shows when loading failed: a refused or non-admin token says so. */
export function describeError(error, doing = "Could not load") {
  if (error.status === 401) return "The token was refused: " + error.message;
  if (error.status === 403) return "This token is not an admin's: " + error.message;
  return doing + ": " + error.message;
}

export function banner(text, ok) {
  const el = $("#banner");
  el.textContent = text;
  el.className = "status " + (ok ? "ok" : "err");
}

/** Wires the page's #token / #use-token / #forget-token row. */
export function wireTokenRow({ onUse, onForget }) {
  $("#use-token").addEventListener("click", () => {
    const value = $("#token").value.trim();
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    $("#token").value = "";
    onUse();
  });
  $("#token").addEventListener("keydown", (event) => {
    if (event.key === "Enter") $("#use-token").click();
  });
  $("#forget-token").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    onForget();
    banner("Token forgotten.", true);
  });
}

/** `el("td", {className: "num", text: "3"}, child...)`: text goes in as text, never as HTML. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "className") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}
