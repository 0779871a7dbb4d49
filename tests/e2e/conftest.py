"""A live portal on 127.0.0.1 (with its outbox sender running) and Debian's Chromium driven by
Playwright. Without Chromium the browser tests skip, except under CI=true, where they must run."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator

import pytest


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is required under CI but missing at {CHROMIUM} (apt-get install -y chromium)")
        pytest.skip(f"Chromium not installed at {CHROMIUM}: `apt-get install -y chromium` to run browser tests")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def wait_for_mail(smtp) -> Callable:
    def wait(address: str, count: int = 1, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while len(smtp.to(address)) < count:
            assert time.monotonic() < deadline, f"no email reached {address}"
            time.sleep(0.1)
        return smtp.to(address)
    return wait
