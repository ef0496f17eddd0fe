// The /signin page: local mode picks a role and a name; Cognito mode goes to managed login.
// `?next=` (a path on this site) is where to go afterwards; `?expired=1` says why we are here.
import { $, authSettings, currentUser, safeNext, signIn, signOut } from "/admin/assets/client.js";

const query = new URLSearchParams(location.search);
const next = query.get("next");

function say(text, ok) {
  $("#signin-message").textContent = text;
  $("#signin-message").className = "status " + (ok ? "ok" : "err");
}

function destination(user) {
  if (next) return safeNext(next);
  return user && user.isAdmin ? "/admin" : "/";
}

async function start() {
  if (query.get("expired")) say("Your sign-in expired, sign in again.", false);
  const user = currentUser();
  if (user && user.exp * 1000 > Date.now()) {
    $("#signed-in").hidden = false;
    $("#signed-in-as").textContent = "Signed in as " + user.name + (user.isAdmin ? " (admin)." : ".");
    $("#continue").href = destination(user);
  }
  let settings;
  try {
    settings = await authSettings();
  } catch (error) {
    say("Could not read the sign-in settings: " + error.message, false);
    return;
  }
  if (settings.local_sign_in) {
    $("#local-form").hidden = false;
  } else if (settings.cognito_domain) {
    $("#cognito-form").hidden = false;
  } else {
    say("This server has no sign-in page configured (COGNITO_DOMAIN is unset).", false);
  }
}

$("#local-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const role = event.submitter ? event.submitter.value : "student";
  const name = $("#signin-name").value.trim();
  if (!name) { say("Enter a name first.", false); $("#signin-name").focus(); return; }
  try {
    const user = await signIn({ role, name });
    location.assign(destination(user));
  } catch (error) {
    say("Sign-in failed: " + error.message, false);
  }
});

$("#cognito-signin").addEventListener("click", async () => {
  try {
    await signIn({ next: next ? safeNext(next) : "/" });
  } catch (error) {
    say("Sign-in failed: " + error.message, false);
  }
});

$("#signout").addEventListener("click", signOut);
start();
