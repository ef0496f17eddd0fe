// Uploading page images: one bulk request, each file with its own progress bar (the request's
// bytes are sent in file order, so the bytes sent so far say how far each file is). The
// server refuses a whole batch for one bad file and names it: that file gets the server's
// message beside it and the rest are sent again without it.
import { el, upload } from "/admin/assets/client.js";

export function uploadSection(bookId, { onStarted }) {
  const input = el("input", { id: "page-files", type: "file", multiple: true,
                              accept: "image/png,image/jpeg,image/tiff,image/webp" });
  const send = el("button", { type: "button", id: "upload-button", text: "Upload" });
  const list = el("ul", { className: "uploads", id: "upload-list", "aria-label": "Uploads" });
  send.addEventListener("click", async () => {
    const files = [...input.files];
    if (!files.length) return;
    send.disabled = true;
    const rows = files.map(fileRow);
    list.replaceChildren(...rows.map((r) => r.li));
    try {
      await sendAll(bookId, rows, onStarted);
    } finally {
      send.disabled = false;
      input.value = "";
    }
  });
  return el("section", { "aria-labelledby": "upload-title" },
    el("h2", { id: "upload-title", text: "Upload pages" }),
    el("div", { className: "actions" },
       el("label", { for: "page-files", text: "Page images (one or many)" }), input, send),
    list);
}

function fileRow(file) {
  const bar = el("progress", { max: 1, value: 0, "aria-label": "Upload of " + file.name });
  const status = el("p", { className: "status", text: "Waiting…" });
  const li = el("li", { dataset: { file: file.name } },
                el("span", { className: "file-name", text: file.name }), bar, status);
  return { file, bar, status, li, done: false };
}

function mark(row, text, ok) {
  row.status.textContent = text;
  row.status.className = "status " + (ok ? "ok" : "err");
  row.done = true;
}

async function sendAll(bookId, rows, onStarted) {
  let pending = rows.filter((r) => !r.done);
  while (pending.length) {
    const form = new FormData();
    for (const row of pending) {
      form.append("images", row.file, row.file.name);
      row.status.textContent = "Uploading…";
      row.status.className = "status";
    }
    const sizes = pending.map((r) => r.file.size);
    const total = sizes.reduce((a, b) => a + b, 0) || 1;
    let result;
    try {
      result = await upload(`/admin/books/${encodeURIComponent(bookId)}/pages/bulk`, form, (fraction) => {
        let sent = fraction * total;
        pending.forEach((row, i) => {
          row.bar.value = Math.max(0, Math.min(1, sent / (sizes[i] || 1)));
          sent -= sizes[i];
        });
      });
    } catch (error) {
      pending.forEach((row) => mark(row, error.message, false));
      return;
    }
    if (result.status === 202) {
      pending.forEach((row, i) => {
        row.bar.value = 1;
        mark(row, "Stored as page " + result.body.pages_uploaded[i] + "; OCR queued.", true);
      });
      onStarted(result.body);
      return;
    }
    const message = result.body && result.body.error ? result.body.error.message : "HTTP " + result.status;
    const culprit = pending.find((row) => message.includes("'" + row.file.name + "'")
                                          || message.includes('"' + row.file.name + '"'));
    if (!culprit) {  // the whole batch was refused (a running job, too many files, …)
      pending.forEach((row) => mark(row, message, false));
      return;
    }
    culprit.bar.value = 0;
    mark(culprit, message, false);
    pending = pending.filter((r) => !r.done);
  }
}
