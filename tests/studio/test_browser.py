"""The studio end to end in a real browser (issue 17): Playwright drives Debian's Chromium
through the page as an artist would: generate, like two images, save one and verify it, start
and stop a tiny training; a screenshot of every tab goes into the test's folder.

Playwright's own browser download is not reachable here, so the test launches the system
Chromium (``apt-get install chromium``; .ci/run installs it when missing). The README's
pictures come from the same page on a trained run: bench/studio_screenshots.py.
"""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from artgan.provenance.verify import verify_file
from artgan.run_folder import Run

from .test_studio_app import TINY

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

TABS = ("Create", "Edit", "Restyle", "Upscale", "Inpaint", "Train", "Verify")
VIEWPORT = {"width": 1180, "height": 900}
# Generous for a shared 2-core machine (a training process takes a while to start there); the
# happy path takes seconds.
UI_TIMEOUT_MS = 120_000


def system_chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    message = (
        "the browser test needs Debian's Chromium: apt-get install -y chromium "
        "(.ci/run installs it when missing)"
    )
    # CI installs Chromium and sets ARTGAN_REQUIRE_BROWSER=1, so there a missing browser is a
    # failure; on a user's fresh machine following the README it is a skip that says why.
    if os.environ.get("ARTGAN_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at the system Chromium."""
    return {**browser_type_launch_args, "executable_path": system_chromium()}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": VIEWPORT}


def screenshot(page, name: str, folder: Path) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=path)
    return path


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    expect(page.locator(f"#tab-{name.lower()}")).to_be_visible()


def status_of(page, elem_id: str):
    return page.locator(f"#{elem_id}")


def select_image(page, index: int) -> None:
    """Click the gallery's ``index``-th image: its select event fills the index box."""
    page.locator("#create-gallery .thumbnail-item").nth(index).click()
    expect(page.locator("#create-index input")).to_have_value(str(index))


def test_an_artist_generates_likes_saves_verifies_and_trains(studio, runs, page, tmp_path):
    page.set_default_timeout(UI_TIMEOUT_MS)
    expect.set_options(timeout=UI_TIMEOUT_MS)
    page.goto(studio.url)
    expect(page.locator("#create-run input")).to_have_value("tiny")

    # Generate a page of 16 (the count's default)
    page.locator("#create-seed input").fill("5")
    page.locator("#create-generate").click()
    expect(page.locator("#create-gallery .thumbnail-item")).to_have_count(16)
    screenshot(page, "create", tmp_path)

    # Like two images: two lines in the run's feedback file, the latents the page showed
    feedback = Run(runs / "tiny").feedback_file
    before = feedback.read_text().splitlines() if feedback.exists() else []
    for index in (2, 7):
        select_image(page, index)
        page.locator("#create-like").click()
        expect(status_of(page, "create-status")).to_contain_text(f"liked seed 5 #{index}")
    lines = [json.loads(line) for line in feedback.read_text().splitlines()[len(before) :]]
    assert [(r["liked"], r["seed"], r["index"]) for r in lines] == [(True, 5, 2), (True, 5, 7)]

    # Save the second liked image, enlarged so the watermark fits; the file verifies
    page.locator("#create-save-name textarea, #create-save-name input").first.fill("browser pick")
    page.locator("#create-enlarge input").first.fill("256")
    page.locator("#create-save").click()
    expect(status_of(page, "create-status")).to_contain_text("saved browser pick.png")
    saved = runs / "tiny" / "studio" / "browser pick.png"
    report = verify_file(saved)
    assert report.status == "valid"
    assert report.record["seed"] == 5 and report.record["params"]["index"] == 7
    assert report.watermark["found"] and report.watermark["matches_record"]

    # ... and the Verify tab says so for the same file
    open_tab(page, "Verify")
    page.locator("#verify-file input[type=file]").set_input_files(str(saved))
    expect(page.locator("#verify-text textarea")).to_have_value(re.compile("manifest valid"))
    screenshot(page, "verify", tmp_path)

    for name in ("Edit", "Restyle", "Upscale", "Inpaint"):
        open_tab(page, name)
        screenshot(page, name.lower(), tmp_path)

    # Start a tiny training, see it progress, stop it
    open_tab(page, "Train")
    page.locator("#train-name textarea, #train-name input").first.fill("browser-train")
    page.locator("#train-data input").fill("digits")
    page.locator("#train-data input").press("Enter")
    page.locator("#train-steps input").fill("400")
    page.locator("#train-extra textarea, #train-extra input").first.fill(TINY)
    page.locator("#train-start").click()
    # the progress bar moves once the separate training process logs its first step
    expect(page.locator("#train-progress-bar")).to_have_attribute("max", "400")
    expect(page.locator("#train-progress-bar")).not_to_have_attribute("value", "0")
    screenshot(page, "train", tmp_path)
    page.locator("#train-stop").click()
    expect(status_of(page, "train-status")).to_contain_text("stopped at step")
    assert Run(runs / "browser-train").latest_file.is_file()  # stopping saved a checkpoint

    shots = sorted(p.stem for p in tmp_path.glob("*.png"))
    assert shots == sorted(t.lower() for t in TABS)
