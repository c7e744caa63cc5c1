"""The built-in page in headless Chromium (Debian's `chromium`, driven by Playwright), on the fake suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed "
                                                              "(apt-get install chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless (no browser download: Playwright only drives it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def test_page_runs_the_checked_tests_and_highlights_the_failed_step(serve, fake_config, browser, tmp_path):
    from playwright.sync_api import expect

    server = serve(configs=(fake_config,))
    page = browser.new_page()
    page.goto(server.url + "/ostf/")  # as behind Fuel's nginx; / serves the same page
    sanity = page.locator('section.set[data-set="sanity"]')
    expect(sanity.locator("li.test")).to_have_count(2)
    expect(page.locator('section.set[data-set="smoke"] li.test')).to_have_count(3)  # not the vCenter one

    sanity.locator("button.run").click()
    attach = sanity.locator('li.test[data-test$=".test_attach"]')

    expect(attach).to_have_attribute("data-status", "failure", timeout=30_000)
    expect(sanity.locator('li.test[data-test$=".test_keystone"]')).to_have_attribute("data-status", "success")
    expect(attach.locator("ol.steps li.failed-step")).to_have_text("Attach it")
    expect(attach.locator(".message")).to_contain_text("Step 2 failed: Attach it: RuntimeError")
    expect(sanity.locator("button.run")).to_be_enabled()
    page.screenshot(path=os.environ.get("ADAPTER_PAGE_SCREENSHOT", str(tmp_path / "page.png")), full_page=True)


def test_page_stops_a_run_and_shows_a_conflict(serve, fake_config, browser):
    from playwright.sync_api import expect

    server = serve(configs=(fake_config,), env={"FAKE_SLOW_SECONDS": "60"})
    page = browser.new_page()
    page.goto(server.url + "/")
    smoke = page.locator('section.set[data-set="smoke"]')
    for name in ("test_error", "test_skip"):
        smoke.locator(f'li.test[data-test$=".{name}"] input').uncheck()

    smoke.locator("button.run").click()
    slow = smoke.locator('li.test[data-test$=".test_slow"]')
    expect(slow).to_have_attribute("data-status", "running", timeout=30_000)
    again = server.call("POST", "/v1/testruns", [{"testset": "smoke", "metadata": {"cluster_id": 7}}])
    smoke.locator("button.stop").click()

    expect(slow).to_have_attribute("data-status", "stopped", timeout=30_000)
    expect(smoke.locator('li.test[data-test$=".test_error"]')).to_have_attribute("data-status", "disabled")
    assert again.status_code == 409
