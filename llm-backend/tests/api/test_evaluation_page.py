"""The admin evaluation page in a real headless Chromium against a live server, real PostgreSQL
and the fake model server: start a run, watch it finish without a reload, read its scores with
their 95% intervals, a transcript with the judge's problems, and compare two runs."""

from __future__ import annotations

import re
import threading

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from config import reset_settings
from database import session_scope
from evaluation.models.judgment import DIMENSIONS
from evaluation.models.tables import EvalRun
from evaluation.services.stats import compare_means, mean_ci
from shared.jobs.dispatch import get_dispatcher
from shared.jobs.models import BookJob
from shared.llm.providers.registry import reset_providers
from tests.support.auth import KEY, build_test_app, claims, sign
from tests.support.browser import collect_errors
from tests.support.eval_page import ScriptedJudge
from tests.support.live_server import LiveServer
from tests.support.tutor import add_guideline

ADMIN_TOKEN = sign(claims(sub="admin-eval", groups=["admin"], email="eval@example.com"), KEY)
STUDENT_TOKEN = sign(claims(sub="student-eval"), KEY)
RESP, EXPL, EMO, PACE, AUTH = DIMENSIONS


@pytest.fixture
def judge(fake_llm, monkeypatch) -> ScriptedJudge:
    # A judge call held mid-run must not time out while the page is looked at.
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "30")
    reset_settings()
    reset_providers()
    scripted = ScriptedJudge()
    fake_llm.responder = scripted
    return scripted


@pytest.fixture
def live_url(db, cognito_env, judge):
    server = LiveServer(build_test_app()).start()
    yield server.url
    server.stop()


def _enter_token(page, token: str) -> None:
    page.fill("#token", token)
    page.click("#use-token")


def _text(interval) -> str:
    """The page's rendering of an interval (two decimals; no bounds for a single value)."""
    if interval.low is None:
        return f"{interval.mean:.2f} (n={interval.n})"
    return f"{interval.mean:.2f} [{interval.low:.2f}, {interval.high:.2f}]"


def _avg(scores: list[int]) -> float:
    return sum(scores) / len(scores)


def _chart_row(container, key: str):
    return container.locator(f'li[data-key="{key}"]')


def _percents(locator) -> dict[str, float]:
    style = locator.get_attribute("style") or ""
    return {k: float(v) for k, v in re.findall(r"(left|width): ([\d.]+)%", style)}


def _expect_bar(row, interval) -> None:
    """The numbers beside the bar, and the bar and whisker drawn where the numbers say (the
    0-10 scale is 0-100% of the track; a whisker is cut at the scale's ends)."""
    expect(row.locator(".chart-value")).to_have_text(_text(interval))
    # The browser keeps a style's percentages to about four decimals.
    assert _percents(row.locator(".bar")) == {"width": pytest.approx(interval.mean * 10, abs=1e-3)}
    whisker = row.locator(".whisker")
    low, high = max(interval.low, 0), min(interval.high, 10)
    assert _percents(whisker) == {
        "left": pytest.approx(low * 10, abs=1e-3),
        "width": pytest.approx((high - low) * 10, abs=1e-3),
    }
    box, track = whisker.bounding_box(), row.locator(".track").bounding_box()
    assert box is not None and track is not None
    assert track["x"] - 1 <= box["x"] and box["x"] + box["width"] <= track["x"] + track["width"] + 1


# average_student's three conversations: pacing two points under the other four dimensions.
RIYA = [[s, s, s, s - 2, s] for s in (6, 7, 8)]
PRIYA = [[s] * 5 for s in (3, 4, 5)]


def test_start_a_run_watch_it_finish_read_scores_and_a_transcript(
    live_url, browser_page, judge, tmp_path
):
    gid = add_guideline()
    judge.script("average_student", *RIYA)
    judge.script("struggler", *PRIYA)
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    errors = collect_errors(page)
    page.goto(f"{live_url}/admin/evaluation")
    expect(page.locator("#banner")).to_have_text(
        "Paste an admin token to load the evaluation runs."
    )
    _enter_token(page, ADMIN_TOKEN)
    expect(page.locator("#banner")).to_have_text("Loaded 0 runs.")
    page.evaluate("window.sameDocument = true")  # gone if anything reloads the page

    expect(page.locator("#guideline")).to_have_value(gid)
    expect(page.locator("#guideline option")).to_have_text(
        ["Mathematics · grade 5 · Fractions · Equivalent fractions"]
    )
    expect(page.locator("#persona-list input")).to_have_count(8)
    page.check("#persona-struggler")
    page.fill("#repeats", "3")
    page.fill("#max-turns", "2")
    judge.hold = hold = threading.Event()
    page.click("#start")
    expect(page.locator("#start-status")).to_contain_text("Started run run_")
    run_id = re.search(r"run_\w+", page.locator("#start-status").inner_text()).group(0)

    # Caught mid-way: the first judgment is held, and the page shows the run as active.
    assert judge.held.wait(20)
    expect(page.locator("#progress-text")).to_contain_text(
        re.compile(r"(running session|evaluating) · " + run_id)
    )
    expect(page.locator("#turn-bar")).to_be_visible()
    expect(page.locator(f'#runs-table tr[data-run-id="{run_id}"] .badge')).not_to_have_text(
        "complete"
    )
    hold.set()

    expect(page.locator("#progress-text")).to_contain_text("complete · " + run_id, timeout=30_000)
    expect(page.locator("#progress-items")).to_have_text(
        f"Run {run_id}: 6 of 6 conversations finished"
    )
    assert page.evaluate("window.sameDocument") is True

    row = page.locator(f'#runs-table tr[data-run-id="{run_id}"]')
    conversation_avgs = [_avg(s) for s in RIYA + PRIYA]
    overall = mean_ci(conversation_avgs)
    expect(row.locator('td[data-label="Status"]')).to_have_text("complete")
    expect(row.locator('td[data-label="Personas"]')).to_have_text("average_student, struggler")
    expect(row.locator('td[data-label="Repeats"]')).to_have_text("3")
    expect(row.locator('td[data-label="Overall"]')).to_have_text(_text(overall))

    # The run opened itself when it started; its charts carry the scripted numbers.
    detail = page.locator("#run-detail")
    expect(detail.locator("#run-title")).to_have_text("Run " + run_id)
    dims = page.locator("#dimension-chart")
    _expect_bar(_chart_row(dims, "overall"), overall)
    for dim in DIMENSIONS:
        values = [s[DIMENSIONS.index(dim)] for s in RIYA + PRIYA]
        _expect_bar(_chart_row(dims, dim), mean_ci(values))
    riya = page.locator('.persona-chart[data-persona="average_student"]')
    expect(riya.locator("h4")).to_have_text("Riya (average_student)")
    # By hand: 6, 7, 8 -> mean 7, sd 1, t(0.975, 2) = 4.303, 4.303 / sqrt(3) = 2.484.
    expect(_chart_row(riya, RESP).locator(".chart-value")).to_have_text("7.00 [4.52, 9.48]")
    expect(_chart_row(riya, PACE).locator(".chart-value")).to_have_text("5.00 [2.52, 7.48]")
    _expect_bar(_chart_row(riya, PACE), mean_ci([4, 5, 6]))
    priya = page.locator('.persona-chart[data-persona="struggler"]')
    _expect_bar(_chart_row(priya, "overall"), mean_ci([3, 4, 5]))
    expect(page.locator("#conversations-table tbody tr")).to_have_count(6)
    expect(page.locator("#run-cost tbody tr")).not_to_have_count(0)

    # A transcript: tutor and student turns, then the judge's scores and problem.
    conv = page.locator('#conversations-table tr[data-item="1"]')
    expect(conv.locator('td[data-label="Persona"]')).to_have_text("Riya (average_student)")
    conv.locator("button.view-transcript").click()
    expect(page.locator("#conversation-title")).to_have_text(
        "Conversation 1 · Riya (average_student) #1"
    )
    turns = page.locator("#transcript li")
    expect(turns.first).to_have_class("msg tutor")
    expect(turns.first.locator(".who")).to_have_text("Tutor · turn 0")
    expect(page.locator("#transcript li.student p")).to_have_text(["Is it one half?"] * 2)
    judged = page.locator("#judgments article")
    expect(judged).to_have_count(1)
    expect(judged.locator(".summary")).to_have_text(re.compile(r"Scored \[\d(, \d)+\]\."))
    judged.locator(".analysis summary").click()
    expect(judged.locator(".analysis dt")).to_have_text([d.replace("_", " ") for d in DIMENSIONS])
    expect(judged.locator(".analysis dd").first).to_have_text(
        re.compile(r"^responsiveness was \d$")
    )
    problem = judged.locator(".problems li")
    expect(problem.locator("strong")).to_have_text("Moved on too fast")
    expect(problem.locator(".badge")).to_have_text("major")
    expect(problem).to_contain_text("wrong pacing · turns 1, 2")
    expect(problem.locator("blockquote")).to_have_text("Great, next!")

    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=str(tmp_path / "evaluation-1280.png"), full_page=True)
    assert errors == []


def _run_via_api(url: str, guideline_id: str, personas: list[str], repeats: int) -> str:
    response = httpx.post(
        f"{url}/api/evaluation/start",
        json={"topic_id": guideline_id, "personas": personas, "repeats": repeats, "max_turns": 1},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert response.status_code == 200, response.text
    assert get_dispatcher().wait_idle(60)
    return response.json()["run_id"]


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for track in page.locator(".track").all():
        box = track.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_compare_two_runs_on_a_phone(live_url, browser_page, judge, tmp_path):
    gid = add_guideline()
    # Responsiveness rises by five points, pacing falls by five, the rest stay as they were.
    before = [[3 + i, 5 + i, 5 + i, 8 + i, 5 + i] for i in range(3)]
    after = [[8 + i, 5 + i, 5 + i, 3 + i, 5 + i] for i in range(3)]
    judge.script("average_student", *before)
    run_a = _run_via_api(live_url, gid, ["average_student"], 3)
    judge.script("average_student", *after)
    run_b = _run_via_api(live_url, gid, ["average_student"], 3)

    page = browser_page
    errors = collect_errors(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/admin/evaluation")
    _enter_token(page, ADMIN_TOKEN)
    expect(page.locator("#banner")).to_have_text("Loaded 2 runs.")
    # Newest first; the compare form defaults to the newest as B and the one before as A.
    expect(page.locator("#runs-table tbody tr")).to_have_count(2)
    assert page.locator("#runs-table tbody tr").first.get_attribute("data-run-id") == run_b
    expect(page.locator("#compare-a")).to_have_value(run_a)
    expect(page.locator("#compare-b")).to_have_value(run_b)

    # Keyboard only: from the Compare button, Enter submits the form.
    page.focus("#compare")
    page.keyboard.press("Enter")
    result = page.locator("#compare-result")
    expect(page.locator("#compare-status")).to_have_text(
        f"Run B ({run_b}) against run A ({run_a}):"
    )
    verdicts = {
        RESP: "better",
        PACE: "worse",
        EXPL: "no detectable difference",
        EMO: "no detectable difference",
        AUTH: "no detectable difference",
        "overall": "no detectable difference",
    }
    for key, verdict in verdicts.items():
        row = result.locator(f'tbody tr[data-key="{key}"]')
        expect(row.locator("td.verdict")).to_have_text(verdict)
        index = DIMENSIONS.index(key) if key != "overall" else None
        a = [_avg(s) if index is None else s[index] for s in before]
        b = [_avg(s) if index is None else s[index] for s in after]
        difference = compare_means(a, b)
        sign = "+" if difference.diff > 0 else ""
        expect(row.locator("td.difference")).to_have_text(
            f"{sign}{difference.diff:.2f} [{difference.low:.2f}, {difference.high:.2f}]"
        )
        expect(row.locator("td.a")).to_have_text(_text(mean_ci(a)))
        expect(row.locator("td.b")).to_have_text(_text(mean_ci(b)))
    # By hand: Welch with sd 1 and 1, n 3 and 3: df 4, t 2.776, se 0.816, margin 2.27.
    expect(result.locator('tr[data-key="responsiveness"] td.difference')).to_have_text(
        "+5.00 [2.73, 7.27]"
    )
    expect(result.locator(".chart.diff li")).to_have_count(6)
    _fits(page, 390)

    # The newest run opened itself; open the older one with the keyboard and read a transcript.
    expect(page.locator("#run-title")).to_have_text("Run " + run_b)
    page.focus(f'#runs-table tr[data-run-id="{run_a}"] button.open-run')
    page.keyboard.press("Enter")
    expect(page.locator("#run-title")).to_have_text("Run " + run_a)
    _expect_bar(_chart_row(page.locator("#dimension-chart"), RESP), mean_ci([3, 4, 5]))
    _expect_bar(_chart_row(page.locator("#dimension-chart"), PACE), mean_ci([8, 9, 10]))
    page.locator('#conversations-table tr[data-item="2"] button.view-transcript').click()
    expect(page.locator("#conversation-title")).to_have_text(
        "Conversation 2 · Riya (average_student) #2"
    )
    expect(page.locator("#transcript li.student")).to_have_count(1)
    _fits(page, 390)
    page.screenshot(path=str(tmp_path / "evaluation-390.png"), full_page=True)
    assert errors == []


def test_every_control_has_a_label(live_url, browser_page):
    add_guideline()
    page = browser_page
    page.goto(f"{live_url}/admin/evaluation")
    _enter_token(page, ADMIN_TOKEN)
    expect(page.locator("#banner")).to_have_text("Loaded 0 runs.")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("input, select, button, progress")]
              .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label")
                             && !e.textContent.trim())
              .map((e) => e.outerHTML)"""
    )
    assert unlabelled == []


def test_bad_and_non_admin_tokens_show_an_error(live_url, browser_page):
    add_guideline()
    page = browser_page
    errors = collect_errors(page)
    page.goto(f"{live_url}/admin/evaluation")

    _enter_token(page, "not-a-token")
    expect(page.locator("#banner")).to_contain_text("The token was refused")
    _enter_token(page, STUDENT_TOKEN)
    expect(page.locator("#banner")).to_have_text(re.compile(r"^This token is not an admin's: "))
    expect(page.locator("#guideline option")).to_have_count(0)
    expect(page.locator("#runs-table tbody tr")).to_have_count(0)
    # The refusals are the API's 401 and 403 answers, which the browser logs as console errors.
    assert [e for e in errors if not re.search(r"status of 40[13]", e)] == []


def _answer_dialog(page, accept: bool, seen: list[str]) -> None:
    def handle(dialog) -> None:
        seen.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", handle)


def test_retry_evaluation_and_resume_ask_first(live_url, browser_page, judge):
    gid = add_guideline()
    judge.script("average_student", [6] * 5, [8] * 5)
    judge.script("struggler", None, None, None, None)  # both of its conversations fail judging
    run_id = _run_via_api(live_url, gid, ["average_student", "struggler"], 2)

    page = browser_page
    errors = collect_errors(page)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(f"{live_url}/admin/evaluation")
    _enter_token(page, ADMIN_TOKEN)
    expect(page.locator("#run-title")).to_have_text("Run " + run_id)
    failed = page.locator('#conversations-table td[data-label="Status"] .badge.failed')
    expect(failed).to_have_count(2)
    expect(failed.first).to_contain_text("failed: ")
    # A finished run with failed conversations may be resumed (they would run again).
    expect(page.locator("#resume")).to_be_enabled()

    # Dismissed: nothing is sent.
    seen: list[str] = []
    _answer_dialog(page, False, seen)
    page.click("#retry")
    assert seen == ["Judge every stored transcript of this run again?"]
    expect(page.locator("#run-status")).to_have_text("")
    assert posts == []

    # Accepted: a judge-only pass over the two unjudged transcripts; one fails again.
    judge.script("struggler", [3] * 5, None, None)
    _answer_dialog(page, True, seen)
    page.click("#retry")
    expect(page.locator("#run-status")).to_have_text(f"Evaluation restarted for run {run_id}.")
    assert posts == [f"{live_url}/api/evaluation/runs/{run_id}/retry-evaluation"]
    assert get_dispatcher().wait_idle(60)
    struggler = page.locator('.persona-chart[data-persona="struggler"]')
    expect(_chart_row(struggler, "overall").locator(".chart-value")).to_have_text("3.00 (n=1)")
    expect(failed).to_have_count(1)

    # The worker dies (what the stale sweep leaves): the run is failed and may be resumed.
    with session_scope() as session:
        run = session.get(EvalRun, run_id)
        session.execute(
            update(BookJob)
            .where(BookJob.id == run.job_id)
            .values(status="failed", error_message="worker lost")
        )
    page.locator(f'#runs-table tr[data-run-id="{run_id}"] button.open-run').click()
    expect(page.locator("#resume")).to_be_enabled()
    judge.script("struggler", [5] * 5)
    _answer_dialog(page, True, seen)
    page.click("#resume")
    assert seen[-1] == "Resume this run? Finished conversations are kept; the rest run again."
    expect(page.locator("#run-status")).to_have_text(f"Resumed for run {run_id}.")
    expect(page.locator("#progress-text")).to_contain_text("complete · " + run_id, timeout=30_000)
    _expect_bar(_chart_row(struggler, "overall"), mean_ci([3, 5]))
    _expect_bar(_chart_row(page.locator("#dimension-chart"), "overall"), mean_ci([6, 8, 3, 5]))
    expect(failed).to_have_count(0)
    assert errors == []
