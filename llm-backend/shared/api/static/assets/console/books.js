// #/books: the book list with filters, a form to create a book, delete with confirmation.
import { api, el } from "/admin/assets/client.js";
import { badge, confirmed, field, plural, say } from "/admin/assets/console/ui.js";

const FILTERS = [["country", "Country"], ["board", "Board"], ["grade", "Grade"], ["subject", "Subject"]];

export async function render(root) {
  const filters = el("form", { className: "form-grid", "aria-label": "Filter books" },
    ...FILTERS.map(([name, label]) => field(label, { name, type: name === "grade" ? "number" : "text",
                                                     min: name === "grade" ? 1 : null, max: name === "grade" ? 12 : null })),
    el("div", { className: "field" }, el("span", { className: "sr", text: "Apply" }),
       el("button", { type: "submit", text: "Filter" })));
  const list = el("ul", { className: "cards", id: "book-list" });
  const count = el("p", { className: "meta", id: "book-count" });
  const create = createForm(() => load());
  root.append(
    el("section", { "aria-labelledby": "books-title" },
       el("h2", { id: "books-title", text: "Books" }), filters, count, list),
    create);

  async function load() {
    const query = new URLSearchParams();
    for (const [name] of FILTERS) {
      const value = filters.elements[name].value.trim();
      if (value) query.set(name, value);
    }
    try {
      const page = await api("/admin/books?" + query);
      count.textContent = page.total + (page.total === 1 ? " book" : " books");
      list.replaceChildren(...page.books.map((book) => bookCard(book, load)));
    } catch (error) {
      say("Could not load the books: " + error.message, false);
    }
  }
  filters.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  await load();
}

function bookCard(book, reload) {
  const remove = el("button", { type: "button", className: "danger small",
                                "aria-label": "Delete " + book.title, text: "Delete" });
  remove.addEventListener("click", () => confirmed(
    `Delete "${book.title}" with its ${plural(book.page_count, "page")} and guidelines? This cannot be undone.`,
    async () => {
      try {
        await api("/admin/books/" + encodeURIComponent(book.id), { method: "DELETE" });
        say("Deleted " + book.title + ".");
        reload();
      } catch (error) {
        say("Could not delete: " + error.message, false);
      }
    }));
  return el("li", { className: "card", dataset: { book: book.id } },
    el("div", { className: "grow" },
       el("a", { href: "#/books/" + encodeURIComponent(book.id), text: book.title }),
       el("div", { className: "meta", text: [book.subject, "grade " + book.grade, book.board,
                                            book.country].join(" · ") })),
    el("span", { className: "meta", text: book.page_count + " pages · " + book.guideline_count + " guidelines" }),
    book.has_active_job ? badge("job running", "running") : null,
    remove);
}

function createForm(onCreated) {
  const status = el("p", { className: "status", role: "status" });
  const form = el("form", { className: "form-grid", "aria-labelledby": "create-title" },
    field("Title", { name: "title", required: true, maxlength: 300 }),
    field("Author", { name: "author", maxlength: 200 }),
    field("Edition", { name: "edition", maxlength: 100 }),
    field("Edition year", { name: "edition_year", type: "number", min: 1800, max: 2100 }),
    field("Country", { name: "country", value: "India", required: true }),
    field("Board", { name: "board", value: "CBSE", required: true }),
    field("Grade", { name: "grade", type: "number", min: 1, max: 12, value: "3", required: true }),
    field("Subject", { name: "subject", required: true }),
    el("div", { className: "field" }, el("span", { className: "sr", text: "Create" }),
       el("button", { type: "submit", text: "Create book" })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = form.elements;
    const body = {
      title: f.title.value, author: f.author.value || null, edition: f.edition.value || null,
      edition_year: f.edition_year.value ? Number(f.edition_year.value) : null,
      country: f.country.value, board: f.board.value, grade: Number(f.grade.value),
      subject: f.subject.value,
    };
    try {
      const book = await api("/admin/books", { method: "POST", body });
      status.textContent = "Created " + book.title + ".";
      status.className = "status ok";
      form.reset();
      onCreated();
      location.hash = "#/books/" + encodeURIComponent(book.id);
    } catch (error) {
      status.textContent = "Could not create the book: " + error.message;
      status.className = "status err";
    }
  });
  return el("section", {}, el("h2", { id: "create-title", text: "New book" }), form, status);
}
