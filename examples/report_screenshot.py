"""Screenshots of a report page, as the README shows it: the catalog's charts, and the network
with one person selected (the most connected one, unless --person names another).

    .venv/bin/python examples/report_screenshot.py tmdb-demo/outputs/report.html docs/report
        [--person NAME]

writes docs/report-catalog.png and docs/report-network.png. The page is opened from disk in
the system's headless Chromium (Playwright), with every request but the file's own refused,
as the tests open it.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-unsafe-swiftshader",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("prefix", type=Path, help="PREFIX-catalog.png and PREFIX-network.png")
    parser.add_argument("--person", help="the person to select (default: the most connected)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    url = args.page.resolve().as_uri()
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=args.chromium, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1280, "height": 900},
        )  # fmt: skip
        context.route("**/*", lambda r: r.continue_() if r.request.url == url else r.abort())
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("document.body.dataset.ready === 'true'", timeout=120_000)
        page.locator("#catalog").screenshot(path=f"{args.prefix}-catalog.png")
        select(page, args.person)
        page.locator("#network-view").screenshot(path=f"{args.prefix}-network.png")
        context.close()
    print(f"wrote {args.prefix}-catalog.png and {args.prefix}-network.png")


def select(page: Any, person: str | None) -> None:
    """Search for the person (or the most connected one) and wait for the camera to settle."""
    name = person or page.evaluate(
        "(() => { const g = reportGraph.graph; let best = null;"
        " g.forEachNode((n) => { if (best === null || g.degree(n) > g.degree(best)) best = n; });"
        " return best === null ? '' : g.getNodeAttribute(best, 'label'); })()"
    )
    if name:
        page.fill("#search", name)
        page.press("#search", "Enter")
        page.wait_for_timeout(1000)


if __name__ == "__main__":
    main()
