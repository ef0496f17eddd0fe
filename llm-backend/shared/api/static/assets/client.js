// The one client module every page uses: the signed-in user's token (session storage), calls
// to the API with it, errors as ApiError, sign-in and sign-out in both auth modes, and small
// DOM helpers that only ever set text (server strings never go through innerHTML).

const TOKEN_KEY = "tutorToken";
const SOURCE_KEY = "tutorTokenSource";
const PKCE_KEY = "tutorPkce";
const SKEW_SECONDS = 30;

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || ("HTTP " + status));
    this.name = "ApiError";
    this.status = status;
    this.code = code || "http_" + status;
  }
}

// ------------------------------------------------------------------------------ the token

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function hasToken() {
  return Boolean(token());
}

export function setToken(value, source = "pasted") {
  sessionStorage.setItem(TOKEN_KEY, value);
  sessionStorage.setItem(SOURCE_KEY, source);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(SOURCE_KEY);
}

/** The token's claims (not verified here: the API verifies; this is for display only). */
export function claims(value = token()) {
  if (!value) return null;
  try {
    const part = value.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent([...atob(part)]
      .map((c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""));
    return JSON.parse(json);
  } catch (_) {
    return null;  // a pasted opaque or malformed token: the API will say what is wrong
  }
}

/** `{sub, name, email, groups, isAdmin, exp}` of the signed-in user, or null. */
export function currentUser() {
  const c = claims();
  if (!c) return null;
  const groups = c["cognito:groups"] || [];
  return { sub: c.sub, name: c.name || c.email || c["cognito:username"] || c.sub,
           email: c.email || null, groups, isAdmin: groups.includes("admin"), exp: c.exp || null };
}

function expired() {
  const c = claims();
  return Boolean(c && c.exp && c.exp * 1000 < Date.now() + SKEW_SECONDS * 1000);
}

/** Tells the page its user must sign in (again). A page that shows its own sign-in screen
 *  calls preventDefault(); otherwise a notice with a sign-in link appears at the top. */
function requireSignIn(message) {
  clearToken();
  const event = new CustomEvent("auth:required", { cancelable: true, detail: { message } });
  if (window.dispatchEvent(event)) showSignInNotice(message);
}

function showSignInNotice(message) {
  let bar = document.getElementById("signin-notice");
  if (!bar) {
    bar = el("div", { id: "signin-notice", className: "signin-notice", role: "alert" });
    document.body.prepend(bar);
  }
  bar.replaceChildren(el("span", { text: message + " " }),
                      el("a", { href: signInHref(), text: "Sign in again" }));
}

export function signInHref(next = location.pathname + location.search) {
  return "/signin?next=" + encodeURIComponent(next);
}

// --------------------------------------------------------------------------------- calls

/** A call to the API: `body` goes as JSON, `form` (FormData) as multipart. Resolves to the
 *  parsed JSON (null for an empty answer); rejects with an ApiError. */
export async function api(path, { method = "GET", body, form, headers = {}, signal } = {}) {
  if (!hasToken()) throw new ApiError(401, "not_signed_in", "Sign in first.");
  if (expired()) {
    const message = "Your sign-in expired, sign in again.";
    requireSignIn(message);
    throw new ApiError(401, "token_expired", message);
  }
  const init = { method, signal, headers: { "Authorization": "Bearer " + token(), ...headers } };
  if (form !== undefined) init.body = form;
  else if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  const payload = await readJson(response);
  if (!response.ok) {
    const error = toApiError(response, payload);
    if (response.status === 401) {
      requireSignIn("Your sign-in expired or was refused (" + error.message + "), sign in again.");
    }
    throw error;
  }
  return payload;
}

async function readJson(response) {
  try { return await response.json(); } catch (_) { return null; }
}

export function toApiError(response, payload) {
  const err = payload && payload.error;
  return new ApiError(response.status, err ? err.code : null,
                      err ? err.message : response.statusText);
}

/** Upload with progress (fetch has no upload progress): resolves to {status, body}. */
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    if (!hasToken()) { reject(new ApiError(401, "not_signed_in", "Sign in first.")); return; }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("Authorization", "Bearer " + token());
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      if (xhr.status === 401) requireSignIn("Your sign-in expired, sign in again.");
      resolve({ status: xhr.status, body: xhr.response });
    };
    xhr.onerror = () => reject(new ApiError(0, "network_error", "The upload did not reach the server."));
    xhr.send(form);
  });
}

/** The sentence a page shows when a call failed: a refused or non-admin token says so. */
export function describeError(error, doing = "Could not load") {
  if (error.status === 401) return "The token was refused: " + error.message;
  if (error.status === 403) return "This token is not an admin's: " + error.message;
  return doing + ": " + error.message;
}

// ------------------------------------------------------------------------------- sign-in

let authConfig = null;

/** This server's sign-in settings (`GET /config/auth`, public). */
export async function authSettings() {
  if (!authConfig) {
    const response = await fetch("/config/auth");
    if (!response.ok) throw toApiError(response, await readJson(response));
    authConfig = await response.json();
  }
  return authConfig;
}

/** Local mode: `signIn({role, name})` mints a token. Cognito mode: `signIn({next})` goes to
 *  the managed login page (the browser leaves this page). */
export async function signIn({ role, name, next = "/" } = {}) {
  const settings = await authSettings();
  if (settings.local_sign_in) {
    const response = await fetch("/auth/local/token", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ role, name }),
    });
    const payload = await readJson(response);
    if (!response.ok) throw toApiError(response, payload);
    setToken(payload.token, "local");
    return currentUser();
  }
  if (!settings.cognito_domain || !settings.client_id) {
    throw new ApiError(503, "signin_unavailable", "This server has no sign-in page configured.");
  }
  const verifier = randomString(48);
  const state = randomString(24);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, next: safeNext(next) }));
  location.assign(authorizeUrl({
    domain: settings.cognito_domain, clientId: settings.client_id, scopes: settings.scopes,
    redirectUri: location.origin + "/signin/callback", state,
    challenge: await pkceChallenge(verifier),
  }));
  return null;
}

export function signOut() {
  const source = sessionStorage.getItem(SOURCE_KEY);
  clearToken();
  if (source === "cognito" && authConfig && authConfig.cognito_domain) {
    const params = new URLSearchParams({ client_id: authConfig.client_id,
                                         logout_uri: location.origin + "/signin" });
    location.assign(authConfig.cognito_domain + "/logout?" + params);
    return;
  }
  location.assign("/signin");
}

export function authorizeUrl({ domain, clientId, redirectUri, scopes, state, challenge }) {
  const params = new URLSearchParams({
    response_type: "code", client_id: clientId, redirect_uri: redirectUri,
    scope: scopes.join(" "), state, code_challenge: challenge, code_challenge_method: "S256",
  });
  return domain + "/oauth2/authorize?" + params;
}

export async function pkceChallenge(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** The /signin/callback step: checks `state`, trades the code (with the PKCE verifier) at the
 *  pool's token endpoint, keeps the id token; resolves to the page to go back to. */
export async function completeSignIn(query = location.search) {
  const params = new URLSearchParams(query);
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  sessionStorage.removeItem(PKCE_KEY);
  if (params.get("error")) {
    throw new ApiError(400, params.get("error"), params.get("error_description") || params.get("error"));
  }
  if (!saved || !params.get("code") || params.get("state") !== saved.state) {
    throw new ApiError(400, "bad_callback", "This sign-in link is not the one this browser started; sign in again.");
  }
  const settings = await authSettings();
  const response = await fetch(settings.cognito_domain + "/oauth2/token", {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code", client_id: settings.client_id, code: params.get("code"),
      redirect_uri: location.origin + "/signin/callback", code_verifier: saved.verifier,
    }),
  });
  const payload = await readJson(response);
  if (!response.ok || !payload || !payload.id_token) {
    const message = payload && payload.error ? String(payload.error) : response.statusText;
    throw new ApiError(response.status, "token_exchange_failed", "Cognito refused the sign-in: " + message);
  }
  setToken(payload.id_token, "cognito");
  return saved.next;
}

/** Only a path on this site: `next` from a query string must not send anyone elsewhere. */
export function safeNext(next) {
  return typeof next === "string" && next.startsWith("/") && !next.startsWith("//")
    && !next.includes("\\") ? next : "/";
}

function randomString(bytes) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// ------------------------------------------------------------------------------ page bits

export function banner(text, ok) {
  const node = $("#banner");
  node.textContent = text;
  node.className = "status " + (ok ? "ok" : "err");
}

/** Wires a page's #token / #use-token / #forget-token row (a pasted token, e.g. one minted
 *  with `python -m shared.auth.dev_token`). */
export function wireTokenRow({ onUse, onForget }) {
  $("#use-token").addEventListener("click", () => {
    const value = $("#token").value.trim();
    if (value) setToken(value);
    $("#token").value = "";
    const notice = document.getElementById("signin-notice");
    if (notice) notice.remove();
    onUse();
  });
  $("#token").addEventListener("keydown", (event) => {
    if (event.key === "Enter") $("#use-token").click();
  });
  $("#forget-token").addEventListener("click", () => {
    clearToken();
    onForget();
    banner("Token forgotten.", true);
  });
}

/** `el("td", {className: "num", text: "3"}, child...)`: text goes in as text, never as HTML. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "className") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}
