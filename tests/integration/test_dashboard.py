"""The dashboard (/ui) in a real headless Chromium (Debian's, driven by Playwright) against
an API and a worker on RabbitMQ: a job watched to its digits, three jobs sharing the
workers, chunk grids of 1,234 and 2,048 chunks, job URLs with back/forward, a million-digit
result, the token field, and a phone-width screen. Screenshots are saved as test artifacts."""

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import psutil
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from pipeline.methods.leibniz_euler.models import EulerPlanParams
from pipeline.rounds import record_success
from pipeline.verify import reference_digits
from storage import ChunkSpec, JobRecord, JobStore
from storage.clients import ClientBook, Scope
from storage.layout import StateLayout
from storage.records import Certificate, FinalProgress
from tests.integration.conftest import REPO, Processes, rabbitmq_service_env
from tests.integration.pool_pause import paused_mid_chunk

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# What Chromium needs to run headless here (no sandbox, GPU or network side traffic).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("PICHORD_TEST_ARTIFACTS", REPO / "var" / "test-artifacts"))
WIDE = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
TOKEN = "dashboard-test-token"
# Longest gap between two animation frames while a page loads, read after the fact.
FRAME_WATCH = """
window.__worstFrame = 0;
let last = performance.now();
const tick = (now) => { window.__worstFrame = Math.max(window.__worstFrame, now - last);
                        last = now; requestAnimationFrame(tick); };
requestAnimationFrame(tick);
"""


@dataclass
class Service:
    api: str
    state: Path
    # The worker's main process: tests hold a job still by stopping its pool.
    worker_pid: int

    def client(self) -> httpx2.Client:
        return httpx2.Client(base_url=self.api, timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def module_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Processes]:
    logs = tmp_path_factory.mktemp("logs")
    procs = Processes(env={}, logs=logs)
    try:
        yield procs
    finally:
        procs.stop_all()


@pytest.fixture(scope="module")
def service(
    module_processes: Processes, rabbitmq_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Service:
    """One worker of two processes and one API for the whole module (they start in seconds,
    the tests take turns on them)."""
    state, module_processes.env = rabbitmq_service_env(
        tmp_path_factory.mktemp("dashboard"),
        rabbitmq_url,
        # Chunks of 2e9 terms: an n=10 job is ~50 of them, an n=11 job the cap of 2,048.
        chunk_seconds="0.1",
        kernel_terms_per_second="2e10",
        worker_concurrency="2",
    )
    worker = module_processes.worker("w1", concurrency=2)
    return Service(api=module_processes.api(), state=state, worker_pid=worker.pid)


def submit(page: Page, method: str, digits: int) -> str:
    page.get_by_label("Method").select_option(method)
    page.get_by_label("Digits", exact=True).fill(str(digits))
    page.get_by_role("button", name="Compute").click()
    page.wait_for_function("location.hash.startsWith('#/jobs/')")
    page.wait_for_function("document.getElementById('job-id').textContent.length > 0")
    return page.evaluate("location.hash.slice('#/jobs/'.length)")


def wait_status(page: Page, status: str, timeout: float = 60_000) -> None:
    page.wait_for_function(
        f"document.getElementById('job-status').textContent === '{status}'", timeout=timeout
    )


def grid_render_ms(page: Page) -> float:
    measured: float = page.evaluate(
        "Math.max(...performance.getEntriesByName('chunk grid').map((e) => e.duration))"
    )
    return measured


def test_a_job_to_its_digits_then_reloaded(browser: Browser, service: Service) -> None:
    page = browser.new_page(viewport=WIDE)
    page.goto(service.api + "/ui")
    page.wait_for_function("document.getElementById('method').options.length === 3")
    assert "up to 11 digits" in page.get_by_label("Method").inner_text()
    page.wait_for_function("document.getElementById('job-empty').offsetParent !== null")

    def corners() -> list[tuple[float, float]]:
        boxes = [page.locator(f"#{panel}").bounding_box() for panel in ("submit", "running", "job")]
        return [(box["x"], box["y"]) for box in boxes if box]

    before = corners()
    job_id = submit(page, "leibniz", 10)
    page.get_by_role("button", name="Cancel this job").wait_for(state="visible")
    # Opening a job moves no panel (those below "Running now" move only as it grows).
    assert corners() == before

    def bar() -> float:
        return float(page.eval_on_selector("#job-progress", "e => e.value"))

    seen: list[float] = []
    deadline = time.monotonic() + 90
    # Held with a chunk done and others to go, the job shows part of its progress for as long
    # as the page needs to catch it, however fast the kernel runs.
    with paused_mid_chunk(JobStore(service.state), job_id, service.worker_pid, chunks_done=1):
        while not any(0 < value < 100 for value in seen):
            assert time.monotonic() < deadline, seen
            seen.append(bar())
            time.sleep(0.1)
    while page.text_content("#job-status") != "SUCCESS":
        assert time.monotonic() < deadline, page.text_content("#job-status")
        seen.append(bar())
        time.sleep(0.1)
    assert any(0 < value < 100 for value in seen), seen
    assert seen == sorted(seen)
    page.wait_for_function("document.getElementById('job-progress').value === 100")
    assert page.text_content("#digits-out") == reference_digits(10)
    assert "agrees" in (page.text_content("#verdict") or "")
    assert "terms" in (page.text_content("#certificate") or "")
    # Nothing left to cancel.
    assert page.get_by_role("button", name="Cancel this job").count() == 0
    cells = page.locator("#chunk-grid .cell")
    assert cells.count() > 10
    page.wait_for_function("document.querySelectorAll('#chunk-grid .cell.SUCCESS').length > 10")
    assert "w1@" in page.locator("#per-worker").inner_text()
    cells.first.hover()
    assert "worker w1@" in (page.text_content("#chunk-detail") or "")
    page.wait_for_function("document.querySelectorAll('#plot polyline.width').length === 1")
    assert page.locator("#plot line.target").count() == 1
    assert "10⁻¹⁰" in (page.text_content("#plot") or "")
    page.wait_for_function(f"document.querySelectorAll('#cpus li').length === {psutil.cpu_count()}")
    page.wait_for_function("document.getElementById('workers').textContent.includes('w1@')")

    page.reload()
    wait_status(page, "SUCCESS", 10_000)
    assert page.text_content("#job-id") == job_id
    assert page.text_content("#digits-out") == reference_digits(10)
    page.screenshot(path=str(ARTIFACTS / "dashboard-finished.png"), full_page=True)
    page.close()


def test_the_page_follows_event_streams_and_polls_when_they_break(
    browser: Browser, service: Service
) -> None:
    page = browser.new_page(viewport=WIDE)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(service.api + "/ui")
    page.wait_for_function("document.getElementById('method').options.length === 3")
    job_id = submit(page, "leibniz", 10)
    streams = {f"{service.api}/tasks/{job_id}/events", f"{service.api}/events"}
    # Held mid-chunk, the job cannot end before the page has asked for its stream, however
    # fast the kernel runs.
    with paused_mid_chunk(JobStore(service.state), job_id, service.worker_pid):
        deadline = time.monotonic() + 60
        while not streams <= set(asked):
            assert time.monotonic() < deadline, asked
            page.wait_for_timeout(50)
    wait_status(page, "SUCCESS", 60_000)
    page.close()

    # A proxy that refuses streams: the job view and the running panel poll instead.
    page = browser.new_page(viewport=WIDE)
    page.route("**/events", lambda route: route.abort())
    page.goto(service.api + "/ui")
    page.wait_for_function("document.getElementById('method').options.length === 3")
    submit(page, "leibniz", 9)
    wait_status(page, "SUCCESS", 60_000)
    assert page.text_content("#digits-out") == reference_digits(9)
    page.wait_for_function("document.getElementById('running-summary').textContent.length > 0")
    page.close()


def test_a_leibniz_cf_job_plots_its_depth(browser: Browser, service: Service) -> None:
    page = browser.new_page(viewport=WIDE)
    page.goto(service.api + "/ui")
    page.wait_for_function("document.getElementById('method').options.length === 3")
    submit(page, "leibniz-cf", 20_000)
    wait_status(page, "SUCCESS", 60_000)
    page.wait_for_function("document.getElementById('digits-out').textContent.length > 0")
    assert "depth" in (page.text_content("#certificate") or "")
    page.wait_for_function("document.querySelectorAll('#plot polyline.width').length === 1")
    plot = page.text_content("#plot") or ""
    assert "continued-fraction depth" in plot and "10⁻²⁰⁰⁰⁰" in plot
    assert "At depth" in (page.text_content("#plot-summary") or "")
    page.close()


def test_a_big_job_and_two_small_ones_share_the_workers_and_urls_follow_history(
    browser: Browser, service: Service, figure: Callable[[str], None]
) -> None:
    page = browser.new_page(viewport=WIDE)
    page.goto(service.api + "/ui")
    store = JobStore(service.state)
    # The panel is live before the jobs exist, so it lists them at its next refresh (2 s at
    # most).
    page.wait_for_function(
        "document.getElementById('running-summary').textContent.includes('unfinished job')"
    )
    with service.client() as client:
        big = client.post("/tasks", json={"digits": 11}).json()["id"]
        small = [client.post("/tasks", json={"digits": 10}).json()["id"] for _ in range(2)]
        ids = [big, *small]
        listed = " && ".join(
            f"document.querySelector('#running-jobs [data-id=\"{i}\"]')" for i in ids
        )
        # All three listed, each with its share of the busy worker processes: the shares
        # shown add up to the whole (within rounding) at a refresh where processes are busy.
        shares = (
            "(() => { const shown = "
            + json.dumps(ids)
            + '.map((i) => document.querySelector(`#running-jobs [data-id="${i}"] .processes`));'
            " if (!shown.every((s) => s)) return false;"
            " const each = shown.map((s) => Number(/\\((\\d+)%\\)/.exec(s.textContent)[1]));"
            " return Math.abs(each.reduce((a, b) => a + b, 0) - 100) <= 2; })()"
        )
        # Held from the big job's first chunk, queued ahead of the small ones: all three stay
        # unfinished, with a busy process to share, until the panel has shown them (on a fast
        # kernel the small ones take less than the panel's refresh).
        with paused_mid_chunk(store, big, service.worker_pid):
            page.wait_for_function(f"!!({listed})", timeout=15_000)
            page.wait_for_function(shares, timeout=15_000)
        # Every job gets worker processes in turn: read from /running itself, faster than
        # the panel's 2 s refresh, so a small job's few seconds cannot slip between reads.
        had_processes: set[str] = set()
        deadline = time.monotonic() + 60
        while had_processes != set(ids):
            assert time.monotonic() < deadline, had_processes
            running = client.get("/running").json()["jobs"]
            had_processes |= {job["id"] for job in running if job["processes"]}
            time.sleep(0.05)

    # Held again, with some of its chunks done, until it is cancelled: the big job cannot
    # finish first, however fast the kernel runs.
    with paused_mid_chunk(store, big, service.worker_pid, chunks_done=1):
        page.wait_for_function(
            "/queue .*: \\d+ message/.test(document.getElementById('running-summary').textContent)"
        )

        page.locator(f'#running-jobs [data-id="{big}"] a').click()
        page.wait_for_function("document.querySelectorAll('#chunk-grid .cell').length === 2048")
        page.wait_for_function("document.querySelectorAll('#chunk-grid .cell.SUCCESS').length > 0")
        figure(f"[dashboard] 2,048-chunk grid rendered in {grid_render_ms(page):.0f} ms at most")
        assert grid_render_ms(page) < 1000
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        # A small job may have finished by now: it is opened from the jobs list.
        page.locator(f'#jobs a[href="#/jobs/{small[0]}"]').click(timeout=15_000)
        page.wait_for_function(f"document.getElementById('job-id').textContent === '{small[0]}'")
        page.go_back()
        page.wait_for_function(f"document.getElementById('job-id').textContent === '{big}'")
        page.go_forward()
        page.wait_for_function(f"document.getElementById('job-id').textContent === '{small[0]}'")
        page.go_back()
        page.get_by_role("button", name="Cancel this job").click()
        wait_status(page, "REVOKED", 10_000)
    assert page.get_by_role("button", name="Cancel this job").count() == 0
    page.get_by_label("Status").select_option("REVOKED")
    page.wait_for_function("document.getElementById('jobs').rows.length === 1")
    assert page.locator(f'#jobs a[href="#/jobs/{big}"]').count() == 1
    page.close()


def test_a_1234_chunk_grid_renders_in_under_a_second(
    browser: Browser, service: Service, module_processes: Processes, figure: Callable[[str], None]
) -> None:
    api = module_processes.api(max_chunks="1234")
    with httpx2.Client(base_url=api, timeout=30) as client:
        job_id = client.post("/tasks", json={"digits": 11}).json()["id"]
        page = browser.new_page(viewport=WIDE)
        page.goto(f"{api}/ui#/jobs/{job_id}")
        page.wait_for_function("document.querySelectorAll('#chunk-grid .cell').length === 1234")
        client.delete(f"/tasks/{job_id}")
    figure(f"[dashboard] 1,234-chunk grid rendered in {grid_render_ms(page):.0f} ms at most")
    assert grid_render_ms(page) < 1000
    page.close()


def store_finished_job(state: Path, digits: int) -> tuple[str, str]:
    """A SUCCESS job written as a reducer writes it, its chunk files already gone (computing
    a million digits here would take minutes; showing them is what is tested)."""
    store = JobStore(state)
    job = JobRecord(
        id="0f0e0d0c-0b0a-4908-8706-050403020100",
        method="leibniz-euler",
        digits=digits,
        terms_total=10**10,
        chunks=[ChunkSpec(index=0, start=0, stop=10**10)],
        plan=EulerPlanParams(correction_terms=40_000, precision=digits + 30, guard=12).dumped(),
    )
    store.create(job)
    text = reference_digits(digits)
    certificate = Certificate(terms=10**10, lower=text + "000", upper=text + "001", rounds=1)
    final = FinalProgress(
        starttime=None, percent=100, terms_done=1, terms_total=1, chunks_done=1, chunks_total=1
    )
    record_success(store, job, text, certificate, final, reference=text)
    return job.id, text


def test_a_million_digits_stay_out_of_the_page(browser: Browser, service: Service) -> None:
    job_id, text = store_finished_job(service.state, 1_000_000)
    context = browser.new_context(viewport=WIDE)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.add_init_script(FRAME_WATCH)
    began = time.monotonic()
    page.goto(f"{service.api}/ui#/jobs/{job_id}")
    page.wait_for_function("document.getElementById('digits-out').textContent.length > 0")
    assert time.monotonic() - began < 5
    shown = page.text_content("#digits-out") or ""
    assert shown.startswith(text[:60]) and shown.endswith(text[-60:])
    assert len(shown) < 200 and "…" in shown
    assert "1,000,000 decimals" in (page.text_content("#digits-count") or "")
    assert page.evaluate("document.documentElement.outerHTML.length") < 200_000
    assert page.evaluate("window.__worstFrame") < 1000
    page.get_by_role("button", name="Copy the digits").click()
    page.wait_for_function(
        "document.getElementById('copy-message').textContent.startsWith('Copied')"
    )
    assert page.evaluate("navigator.clipboard.readText().then((t) => t.length)") == 1_000_002
    assert page.get_by_role("link", name="Download the digits").get_attribute("href") == (
        f"/tasks/{job_id}/digits"
    )
    context.close()


def test_states_and_the_token_field(
    browser: Browser, service: Service, module_processes: Processes
) -> None:
    api = module_processes.api(api_token=TOKEN, api_token_reads="true")
    page = browser.new_page(viewport=WIDE)
    missing = "00000000-0000-4000-8000-000000000000"
    page.goto(f"{api}/ui#/jobs/{missing}")
    page.wait_for_function("document.getElementById('methods-error').textContent.includes('401')")
    assert page.get_by_role("button", name="Compute").is_disabled()
    page.wait_for_function("document.getElementById('running-error').textContent.includes('token')")
    page.locator("#auth summary").click()
    page.get_by_label("Bearer token").fill(TOKEN)
    page.get_by_label("Bearer token").press("Enter")
    page.get_by_label("Bearer token").blur()
    page.wait_for_function("document.getElementById('method').options.length === 3")
    page.wait_for_function("document.getElementById('job-error').textContent.includes('no job')")
    page.wait_for_function("document.getElementById('running-error').textContent === ''")
    page.goto(f"{api}/ui#/")
    page.wait_for_function("document.getElementById('job-empty').offsetParent !== null")
    page.close()


def test_a_clients_token_submits_and_the_list_filters_by_owner(
    browser: Browser, service: Service
) -> None:
    book = ClientBook(StateLayout(service.state).clients)
    token = book.add("dash-ci", Scope.SUBMIT)
    try:
        with service.client() as http:
            theirs = http.post(
                "/tasks", json={"digits": 2}, headers={"Authorization": f"Bearer {token}"}
            ).json()["id"]
        page = browser.new_page(viewport=WIDE)
        page.goto(f"{service.api}/ui#/")
        page.locator("#auth summary").click()
        page.get_by_label("Bearer token").fill(token)
        page.get_by_label("Bearer token").press("Enter")
        mine = submit(page, "leibniz", 3)
        page.goto(f"{service.api}/ui#/")
        page.get_by_label("Owner").fill("dash-ci")
        page.get_by_label("Owner").press("Enter")
        shown = [theirs[:8], mine[:8]]
        page.wait_for_function(
            """(expected) => {
                const rows = [...document.querySelectorAll('#jobs tr')];
                const ids = rows.map((r) => r.cells[0].textContent).sort();
                return JSON.stringify(ids) === JSON.stringify(expected)
                    && rows.every((r) => r.cells[3].textContent === 'dash-ci');
            }""",
            arg=sorted(shown),
        )
        page.screenshot(path=ARTIFACTS / "owner-filter.png")
        page.close()
    finally:
        book.remove("dash-ci")
        book.reopen()  # the module's other tests submit without a token


def test_fits_a_phone_and_works_from_the_keyboard(browser: Browser, service: Service) -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(service.api + "/ui")
    page.wait_for_function("document.querySelectorAll('#cpus li').length > 0")
    page.wait_for_function("document.getElementById('method').options.length > 0")
    # Tab from the digits reaches the button; Enter submits it.
    page.get_by_label("Digits", exact=True).focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("9")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Compute"
    page.keyboard.press("Enter")
    wait_status(page, "SUCCESS")
    assert page.text_content("#digits-out") == reference_digits(9)
    page.wait_for_function("document.querySelectorAll('#plot polyline.width').length === 1")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Into the grid with Tab, along it with the arrow keys.
    page.locator("#chunk-grid .cell").first.focus()
    page.keyboard.press("ArrowRight")
    assert "Chunk 1 " in (page.text_content("#chunk-detail") or "")
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
    page.close()
