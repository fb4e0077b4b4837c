"""The demo page in a real browser: headless Debian Chromium driven by Playwright's Python package.

It opens the page served by `stag demo`, picks the bundled example, types a query, presses Find,
waits for the annotated video (which the browser must be able to decode) and the timeline, clicks a
referent to see its track, and saves a screenshot that it checks. Set ``STAG_DEMO_SCREENSHOT=PATH``
to keep a copy of the screenshot (the README's docs/demo.png is made that way). A second test
presses Stop during a run on the whole film.

Chromium comes from Debian (``apt-get install chromium``; ``make browser`` does it). Without it the
test is skipped, except in CI (env ``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_server import running_demo
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
EXAMPLE = "Street film, first 10 s: the people walking"
FILM_EXAMPLE = "Street film (60 s): the people walking"
QUERY = "the people walking"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Browser, str]]:
    """Headless Chromium and the URL of a running `stag demo`."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed; CI must install it (STAG_BROWSER=1 scripts/bootstrap.sh)")
        pytest.skip("chromium is not installed (apt-get install chromium, or make browser)")

    with running_demo(tmp_path_factory.mktemp("demo")) as url, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium, url
        finally:
            chromium.close()


@pytest.fixture
def page(browser: tuple[Browser, str]) -> Iterator[Page]:
    chromium, url = browser
    page = chromium.new_page(viewport={"width": 1360, "height": 1000})
    page.goto(url)
    yield page
    page.close()


def _keep_copy(shot: Path, target: str, width: int = 1100) -> None:
    """A smaller copy for the README (1100 px wide, 256 colours): well under 1 MB."""
    image = Image.open(shot).convert("RGB")
    image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    image.quantize(colors=256).save(target, optimize=True)


def test_page_finds_the_people_walking(page: Page, tmp_path: Path) -> None:
    expect(page.locator("#stag-header h1")).to_contain_text("stag")
    expect(page.locator("#stag-status")).to_contain_text("Pick an example")

    page.get_by_text(EXAMPLE).click()
    expect(page.locator("#stag-video-in video")).to_be_visible(timeout=30_000)
    query = page.locator("#stag-query textarea")
    query.fill("")
    query.press_sequentially(QUERY)
    expect(query).to_have_value(QUERY)
    page.locator("#stag-run").click()

    status = page.locator("#stag-status .stag-banner")
    expect(status).to_contain_text("Found", timeout=240_000)
    video = page.locator("#stag-video-out video")
    expect(video).to_be_visible()
    # the browser itself decodes the H.264 it was given
    page.wait_for_function(
        "() => { const v = document.querySelector('#stag-video-out video');"
        " return v && v.readyState >= 2 && v.videoWidth === 640; }", timeout=30_000)
    timeline = page.locator("#stag-timeline img")
    expect(timeline).to_be_visible()
    assert timeline.evaluate("img => img.naturalWidth") > 600

    table = page.locator("#stag-referents")
    rows = table.locator(".virtual-row")
    n = rows.count()
    assert n >= 1
    # click the last referent: the gallery switches to its track
    rid = table.locator(f'[data-testid="cell-{n - 1}-0"]').inner_text().strip()
    table.locator(f'[data-testid="cell-{n - 1}-1"]').click()
    expect(page.locator("#stag-track")).to_contain_text(f"Track of #{rid} person", timeout=30_000)
    assert page.locator("#stag-track img").count() >= 1
    for name in ("result.json", "glmv.json", "tracks.mot.txt", "seqinfo.ini", "annotated.mp4"):
        expect(page.locator(f'#stag-downloads a[href$="/{name}"]')).to_have_count(1)
    page.get_by_text("Reasoning and tool calls").scroll_into_view_if_needed()
    expect(page.locator("#stag-trace")).to_contain_text("answer")

    assert page.locator(".stag-error").count() == 0
    assert page.locator(".toast-body.error").count() == 0
    # show a frame where the first referent is drawn
    start = float(table.locator('[data-testid="cell-0-2"]').inner_text())
    page.evaluate(
        "t => new Promise(done => { const v = document.querySelector('#stag-video-out video');"
        " v.addEventListener('seeked', done, {once: true}); v.currentTime = t; })", start + 0.5)
    page.mouse.move(0, 0)
    page.wait_for_timeout(500)
    shot = tmp_path / "demo.png"
    page.screenshot(path=str(shot), full_page=True)

    image = Image.open(shot)
    assert image.width == 1360 and image.height >= 1000
    # the page is not blank: the video, plot and gallery make a varied picture
    colours = image.convert("RGB").resize((340, image.height // 4)).getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 500
    if target := os.environ.get("STAG_DEMO_SCREENSHOT"):
        _keep_copy(shot, target)


def test_stop_ends_a_long_run(page: Page) -> None:
    """Stop on the 60 s film: the page says the run was stopped (in plain words, not as an error)."""
    page.get_by_text(FILM_EXAMPLE).click()
    expect(page.locator("#stag-video-in video")).to_be_visible(timeout=30_000)
    expect(page.locator("#stag-query textarea")).to_have_value(QUERY)
    page.locator("#stag-run").click()
    page.wait_for_timeout(4_000)
    page.locator("#stag-stop").click()
    expect(page.locator("#stag-status .stag-warn")).to_contain_text(
        "The run was stopped before it finished.", timeout=120_000)
    assert page.locator(".stag-error").count() == 0
