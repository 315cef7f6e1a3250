"""The dashboard (/ui) in a real headless Chromium (Debian's, driven by Playwright): submit a
job and watch it to the digits, cancel another, read the host and worker panels, and fit a
phone-width screen. Screenshots are saved as test artifacts."""

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from pipeline.verify import reference_digits
from tests.integration.conftest import REPO, Processes, rabbitmq_service_env

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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def dashboard(processes: Processes, rabbitmq_url: str, tmp_path: Path) -> str:
    _, processes.env = rabbitmq_service_env(
        tmp_path,
        rabbitmq_url,
        # Chunks of 2e9 terms: an n=10 job is ~50 of them, long enough to watch.
        chunk_seconds="0.1",
        kernel_terms_per_second="2e10",
    )
    processes.worker("w1", concurrency=2)
    return processes.api() + "/ui"


def submit(page: Page, method: str, digits: int) -> None:
    page.get_by_label("Method").select_option(method)
    page.get_by_label("Digits", exact=True).fill(str(digits))
    page.get_by_role("button", name="Compute").click()
    page.wait_for_function("document.getElementById('job-id').textContent.length > 0")


def test_submit_watch_cancel_and_panels(browser: Browser, dashboard: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(dashboard)
    assert "up to 11 digits" in page.get_by_label("Method").inner_text()
    submit(page, "leibniz", 10)

    seen = []
    deadline = time.monotonic() + 90
    while page.text_content("#job-status") != "SUCCESS":
        assert time.monotonic() < deadline, page.text_content("#job-status")
        seen.append(float(page.eval_on_selector("#job-progress", "e => e.value")))
        time.sleep(0.1)
    assert any(0 < value < 100 for value in seen), seen
    assert seen == sorted(seen)
    page.wait_for_function("document.getElementById('job-progress').value === 100")
    assert page.text_content("#digits-out") == reference_digits(10)
    assert "agrees" in (page.text_content("#verdict") or "")
    assert "terms" in (page.text_content("#certificate") or "")
    bars = page.locator("#chunks [role=progressbar]")
    assert bars.count() > 10
    assert "on w1@" in (bars.first.get_attribute("aria-label") or "")
    page.wait_for_function("document.querySelectorAll('#plot polyline.upper').length === 1")
    page.wait_for_function(f"document.querySelectorAll('#cpus li').length === {psutil.cpu_count()}")
    page.wait_for_function("document.getElementById('workers').textContent.includes('w1@')")
    page.wait_for_function("/\\/: [0-9.]+% of/.test(document.getElementById('disks').textContent)")
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    submit(page, "leibniz", 11)
    page.wait_for_function("document.getElementById('job-status').textContent === 'PROGRESS'")
    page.get_by_role("button", name="Cancel this job").click()
    page.wait_for_function("document.getElementById('job-status').textContent === 'REVOKED'")
    assert page.get_by_role("button", name="Cancel this job").is_disabled()
    page.get_by_label("Status").select_option("REVOKED")
    page.wait_for_function("document.getElementById('jobs').rows.length === 1")
    page.screenshot(path=str(ARTIFACTS / "dashboard-cancelled.png"), full_page=True)
    page.close()


def test_fits_a_phone_and_works_from_the_keyboard(browser: Browser, dashboard: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(dashboard)
    page.wait_for_function("document.querySelectorAll('#cpus li').length > 0")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Tab from the top reaches the form; Enter submits it.
    page.get_by_label("Digits", exact=True).focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Compute"
    page.keyboard.press("Enter")
    page.wait_for_function(
        "document.getElementById('job-status').textContent === 'SUCCESS'", timeout=60_000
    )
    assert page.text_content("#digits-out") == reference_digits(4)
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
    page.close()
