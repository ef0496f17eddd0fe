// Small pieces the console's views share: the banner, confirmations, labelled fields, images
// behind the admin token, and times.
import { $, el, token } from "/admin/assets/client.js";

export function say(text, ok = true) {
  const node = $("#banner");
  node.textContent = text;
  node.className = "status " + (ok ? "ok" : "err");
}

/** Runs `action` after the admin confirmed `question`; a dismissed dialog sends nothing. */
export async function confirmed(question, action) {
  if (!window.confirm(question)) return false;
  await action();
  return true;
}

let fieldCount = 0;
/** A labelled input (or select when `options` is given). */
export function field(label, { name, type = "text", value = "", options, ...attrs } = {}) {
  const id = "f" + (++fieldCount);
  const control = options
    ? el("select", { id, name, ...attrs },
         ...options.map(([v, text]) => el("option", { value: v, text })))
    : el("input", { id, name, type, value, ...attrs });
  if (options) control.value = value;
  return el("div", { className: "field" }, el("label", { for: id, text: label }), control);
}

export function badge(text, kind = text) {
  return el("span", { className: "badge " + kind, text });
}

/** An <img> for a page image: the API's file route needs the admin token, so the image is
 *  fetched with it and shown from a blob URL (a presigned S3 URL is used as it is). */
export function pageImage(url, alt) {
  const img = el("img", { alt });
  if (!url) return el("div", { className: "thumb-empty", role: "img", "aria-label": alt + " (no image)" });
  if (!url.startsWith("/")) { img.src = url; return img; }
  fetch(url, { headers: { Authorization: "Bearer " + token() } })
    .then((r) => (r.ok ? r.blob() : null))
    .then((blob) => { if (blob) img.src = URL.createObjectURL(blob); })
    .catch(() => { img.alt = alt + " (could not load)"; });
  return img;
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "unknown";
  if (seconds < 60) return Math.round(seconds) + " s";
  return Math.floor(seconds / 60) + " min " + Math.round(seconds % 60) + " s";
}

export function plural(count, noun) {
  return count + " " + noun + (count === 1 ? "" : "s");
}
