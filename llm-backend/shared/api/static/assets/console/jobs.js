// A book's jobs with live progress (percent, current item, ETA, errors; resume a failed one),
// polled while a job is pending or running, without reloading the page. `started()` after
// starting a job: a job that ends before the first poll sees it still settles the page.
import { api, el } from "/admin/assets/client.js";
import { badge, duration, say, when } from "/admin/assets/console/ui.js";

const ACTIVE = new Set(["pending", "running"]);
const POLL_MS = 1000;
const SHOWN = 6;

export function jobsPanel(bookId, { onSettled }) {
  const list = el("div", { id: "job-list", "aria-live": "polite" });
  const section = el("section", { "aria-labelledby": "jobs-title" },
                     el("h2", { id: "jobs-title", text: "Jobs" }), list);
  let timer = null;
  let stopped = false;
  let wasActive = false;
  let latest = 0; // only the newest listing is shown: an older one still in flight is stale

  async function refresh() {
    clearTimeout(timer);
    if (stopped) return;
    const mine = ++latest;
    let jobs;
    try {
      jobs = await api(`/admin/books/${encodeURIComponent(bookId)}/jobs`);
    } catch (error) {
      if (mine !== latest) return;
      list.replaceChildren(el("p", { className: "status err", text: "Could not load jobs: " + error.message }));
      timer = setTimeout(refresh, POLL_MS * 5);
      return;
    }
    if (stopped || mine !== latest) return;
    jobs.sort((a, b) => b.created_at.localeCompare(a.created_at));
    list.replaceChildren(...(jobs.length ? jobs.slice(0, SHOWN).map((job) => jobCard(job, started))
                                         : [el("p", { className: "meta", text: "No jobs yet." })]));
    const active = jobs.some((job) => ACTIVE.has(job.status));
    if (wasActive && !active) onSettled(jobs[0]);
    wasActive = active;
    if (active) timer = setTimeout(refresh, POLL_MS);
  }

  function started() {
    wasActive = true;
    return refresh();
  }

  return { section, refresh, started, stop() { stopped = true; clearTimeout(timer); } };
}

function jobCard(job, started) {
  const pct = Math.round(job.percent || 0);
  const items = job.total_items === null ? "" : `${job.completed_items} of ${job.total_items} done`;
  const lines = [
    el("div", { className: "actions" }, el("strong", { text: job.job_type }), badge(job.status),
       el("span", { className: "meta", text: when(job.created_at) })),
    el("progress", { max: 100, value: pct, "aria-label": job.job_type + " progress" }),
    el("div", { className: "meta job-numbers",
                text: [pct + "%", items, job.failed_items ? job.failed_items + " failed" : "",
                       job.current_item !== null && ACTIVE.has(job.status) ? "now item " + job.current_item : "",
                       ACTIVE.has(job.status) ? "ETA " + duration(job.eta_seconds) : ""]
                  .filter(Boolean).join(" · ") }),
  ];
  if (job.error_message) lines.push(el("p", { className: "status err", text: job.error_message }));
  const errors = (job.errors || []).slice(0, 5);
  if (errors.length) {
    lines.push(el("ul", { className: "errors", "aria-label": job.job_type + " errors" }, ...errors.map((e) => el("li", {
      text: (e.page ? "page " + e.page + ": " : e.item ? "item " + e.item + ": " : "") + (e.error || "failed") }))));
  }
  if (job.status === "failed") {
    const resume = el("button", { type: "button", className: "small", text: "Resume",
                                  "aria-label": "Resume " + job.job_type + " job" });
    resume.addEventListener("click", async () => {
      try {
        await api(`/admin/books/${encodeURIComponent(job.book_id)}/jobs/${encodeURIComponent(job.job_id)}/resume`,
                  { method: "POST" });
        say("Resumed the " + job.job_type + " job.");
        started();
      } catch (error) {
        say("Could not resume: " + error.message, false);
      }
    });
    lines.push(resume);
  }
  return el("div", { className: "job", dataset: { job: job.job_id, status: job.status } }, ...lines);
}
