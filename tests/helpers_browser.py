"""Debian's Chromium driven by Playwright (its Python package only: no browser download;
``executable_path`` points at the system Chromium that .ci/run installs with apt).

``load(page, path)`` opens a local page and returns what a person's browser would have
shown in its console, every request it made and how long the load took.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass
class Load:
    console: list[tuple[str, str]] = field(default_factory=list)  # (type, text), errors too
    failed: list[str] = field(default_factory=list)               # requests that failed
    requests: list[str] = field(default_factory=list)             # every URL requested
    seconds: float = 0.0          # goto() until the load event, measured from Python
    load_event_ms: float = 0.0    # the page's own navigation timing (loadEventEnd)


@contextmanager
def browser_page(width: int = 1100, height: int = 900) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="dltips-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
                viewport={"width": width, "height": height})
            try:
                yield context.pages[0] if context.pages else context.new_page()
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def load(page: Any, path: Path) -> Load:
    result = Load()
    handlers = {
        "console": lambda m: result.console.append((m.type, m.text)),
        "pageerror": lambda e: result.console.append(("pageerror", str(e))),
        "requestfailed": lambda r: result.failed.append(r.url),
        "request": lambda r: result.requests.append(r.url),
    }
    for event, handler in handlers.items():
        page.on(event, handler)
    try:
        started = time.perf_counter()
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        result.seconds = time.perf_counter() - started
        result.load_event_ms = float(page.evaluate(
            "performance.getEntriesByType('navigation')[0].loadEventEnd"))
    finally:
        for event, handler in handlers.items():
            page.remove_listener(event, handler)
    return result
