// #/books/{id}: the book, its pages as a thumbnail grid with status, uploads, extraction
// (page range), finalize and sync, and the book's jobs.
import { api, el } from "/admin/assets/client.js";
import { jobsPanel } from "/admin/assets/console/jobs.js";
import { badge, confirmed, field, plural, pageImage, say } from "/admin/assets/console/ui.js";
import { uploadSection } from "/admin/assets/console/upload.js";

export async function render(root, [bookId]) {
  const path = "/admin/books/" + encodeURIComponent(bookId);
  const heading = el("section", { "aria-labelledby": "book-title" });
  const grid = el("ul", { className: "page-grid", id: "page-grid", "aria-label": "Pages" });
  const guidelines = el("div", { id: "book-guidelines" });
  const jobs = jobsPanel(bookId, { onSettled: () => load() });
  const uploads = uploadSection(bookId, { onStarted: (started) => {
    say(started.message);
    jobs.started();
    load();
  } });
  root.append(heading, uploads,
    el("section", { "aria-labelledby": "pages-title" }, el("h2", { id: "pages-title", text: "Pages" }), grid),
    actionsSection(path, bookId, () => jobs.started()),
    el("section", { "aria-labelledby": "bg-title" }, el("h2", { id: "bg-title", text: "Guidelines of this book" }), guidelines),
    jobs.section);

  async function load() {
    let book;
    try {
      book = await api(path);
    } catch (error) {
      say("Could not load the book: " + error.message, false);
      return;
    }
    heading.replaceChildren(
      el("h2", { id: "book-title", text: book.title }),
      el("p", { className: "meta", text: [book.subject, "grade " + book.grade, book.board, book.country,
                                         book.author].filter(Boolean).join(" · ") }),
      el("div", { className: "actions" }, badge(book.status),
         el("span", { className: "meta", text: book.page_count + " pages · " + book.guideline_count
                                               + " guidelines (" + book.approved_guideline_count + " approved)" }),
         deleteButton(path, book)));
    grid.replaceChildren(...book.pages.map((page) => pageTile(bookId, page)));
    if (!book.pages.length) grid.replaceChildren(el("li", { className: "meta", text: "No pages yet: upload some." }));
    loadGuidelines();
  }

  async function loadGuidelines() {
    try {
      const listing = await api(path + "/guidelines");
      guidelines.replaceChildren(
        el("p", { className: "meta", text: listing.total_subtopics + " subtopics from pages "
          + (listing.processed_pages.length ? listing.processed_pages[0] + "-" + listing.processed_pages.at(-1) : "none") }),
        el("ul", { className: "cards" }, ...listing.guidelines.map((g) => el("li", { className: "card" },
          el("span", { className: "grow", text: g.topic_title + " › " + g.subtopic_title }),
          el("span", { className: "meta", text: "pages " + g.source_page_start + "-" + g.source_page_end }),
          badge(g.status)))),
        el("p", {}, el("a", { href: "#/guidelines", text: "Review synced guidelines" })));
    } catch (error) {
      guidelines.replaceChildren(el("p", { className: "status err", text: error.message }));
    }
  }

  await load();
  jobs.refresh();
  return () => jobs.stop();
}

function pageTile(bookId, page) {
  const stage = page.stage.replace("_", " ");
  return el("li", { dataset: { page: page.page_num, stage: page.stage } },
    el("a", { href: `#/books/${encodeURIComponent(bookId)}/pages/${page.page_num}`,
              "aria-label": `Page ${page.page_num}, ${stage}` },
      thumbnail(bookId, page),
      el("span", { className: "caption" }, el("span", { text: "Page " + page.page_num }), badge(stage, page.stage))));
}

/** The page's image, through the page's own record (its stored file key, presigned on S3). */
function thumbnail(bookId, page) {
  const holder = el("span", { className: "thumb" }, el("span", { className: "thumb-empty" }));
  api(`/admin/books/${encodeURIComponent(bookId)}/pages/${page.page_num}`)
    .then((full) => holder.replaceChildren(pageImage(full.image_url, "Page " + page.page_num)))
    .catch(() => {});
  return holder;
}

function deleteButton(path, book) {
  const button = el("button", { type: "button", className: "danger small", text: "Delete book" });
  button.addEventListener("click", () => confirmed(
    `Delete "${book.title}" with its ${plural(book.page_count, "page")} and guidelines? This cannot be undone.`,
    async () => {
      try {
        await api(path, { method: "DELETE" });
        location.hash = "#/books";
      } catch (error) {
        say("Could not delete: " + error.message, false);
      }
    }));
  return button;
}

function actionsSection(path, bookId, jobStarted) {
  const range = el("form", { className: "form-grid", "aria-label": "Extract guidelines" },
    field("From page", { name: "start_page", type: "number", min: 1, value: "1", required: true }),
    field("To page", { name: "end_page", type: "number", min: 1, required: true }),
    el("div", { className: "field" }, el("span", { className: "sr", text: "Extract" }),
       el("button", { type: "submit", text: "Extract guidelines" })));
  range.addEventListener("submit", (event) => {
    event.preventDefault();
    start("/generate-guidelines", { start_page: Number(range.elements.start_page.value),
                                    end_page: Number(range.elements.end_page.value) });
  });
  const finalize = el("button", { type: "button", text: "Finalize" });
  finalize.addEventListener("click", () => start("/finalize", { auto_sync_to_db: false }));
  const sync = el("button", { type: "button", text: "Sync to review" });
  sync.addEventListener("click", () => start("/sync"));

  async function start(suffix, body) {
    try {
      const started = await api(path + suffix, { method: "POST", body });
      say(started.message || "Started.");
      jobStarted();
    } catch (error) {
      say("Could not start: " + error.message, false);
    }
  }
  return el("section", { "aria-labelledby": "actions-title" },
    el("h2", { id: "actions-title", text: "Guideline extraction" }), range,
    el("p", { className: "meta", text: "Finalize merges and names the extracted subtopics; sync sends them to guideline review." }),
    el("div", { className: "actions" }, finalize, sync));
}
