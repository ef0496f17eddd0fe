// #/books/{id}/pages/{n}: the page image beside its OCR text; approve, retry OCR, delete.
import { api, el } from "/admin/assets/client.js";
import { badge, confirmed, pageImage, say } from "/admin/assets/console/ui.js";

export async function render(root, [bookId, number]) {
  const book = "/admin/books/" + encodeURIComponent(bookId);
  const path = `${book}/pages/${number}`;
  let page;
  try {
    page = await api(path);
  } catch (error) {
    say("Could not load the page: " + error.message, false);
    return;
  }
  const n = Number(number);
  const status = el("p", { className: "status", role: "status", id: "page-status" });
  const approve = el("button", { type: "button", id: "approve-page", text: page.stage === "approved" ? "Approved" : "Approve" });
  approve.disabled = page.stage !== "pending_review";
  const retry = el("button", { type: "button", id: "retry-ocr", className: "secondary", text: "Retry OCR" });
  retry.disabled = page.stage === "approved";
  const remove = el("button", { type: "button", id: "delete-page", className: "danger", text: "Delete page" });

  approve.addEventListener("click", () => act(() => api(path + "/approve", { method: "PUT" }), "Approved."));
  retry.addEventListener("click", () => act(() => api(path + "/retry-ocr", { method: "POST" }),
                                            "OCR queued again; the book's jobs show its progress."));
  remove.addEventListener("click", () => confirmed(
    `Delete page ${n}? The pages after it move up one number.`,
    async () => {
      try {
        await api(path, { method: "DELETE", headers: { "If-Match": page.etag } });
        location.hash = "#/books/" + encodeURIComponent(bookId);
      } catch (error) {
        status.textContent = "Could not delete: " + error.message;
        status.className = "status err";
      }
    }));

  async function act(call, done) {
    try {
      await call();
      await render(root.replaceChildren() || root, [bookId, number]);
      say(done);
    } catch (error) {
      status.textContent = error.message;
      status.className = "status err";
    }
  }

  root.append(el("section", { "aria-labelledby": "page-title" },
    el("p", {}, el("a", { href: "#/books/" + encodeURIComponent(bookId), text: "← Back to the book" })),
    el("h2", { id: "page-title", text: "Page " + n }),
    el("div", { className: "actions" }, badge(page.stage.replace("_", " "), page.stage),
       el("span", { className: "meta", text: page.original_filename || "" })),
    // The actions come before the image and text, so they stay in view on any screen.
    el("div", { className: "actions review-actions" }, approve, retry, remove,
       n > 1 ? el("a", { href: `#/books/${encodeURIComponent(bookId)}/pages/${n - 1}`, text: "Previous page" }) : null,
       el("a", { href: `#/books/${encodeURIComponent(bookId)}/pages/${n + 1}`, text: "Next page" })),
    el("div", { className: "review" },
      el("figure", { style: "margin:0" }, pageImage(page.image_url, "Page " + n + " image"),
         el("figcaption", { className: "meta", text: "Scanned page" })),
      el("div", {},
         el("h3", { id: "ocr-title", text: "OCR text" }),
         page.ocr_error ? el("p", { className: "status err", text: page.ocr_error }) : null,
         el("pre", { className: "ocr-text", id: "ocr-text", tabindex: "0", "aria-labelledby": "ocr-title",
                     text: page.text === null ? "(no text yet: OCR is " + page.ocr_status + ")" : page.text }))),
    status));
}
