"""The README's studio pictures: `artgan studio` on a trained run, driven by Playwright in
Debian's Chromium (as tests/studio/test_browser.py does): Create, Train and Verify, small PNGs.

    python bench/studio_screenshots.py --run bench/out/feedback/run-demo-recipe

The run is copied into a temporary runs folder (the studio writes feedback and saved files into
it); the pictures go to docs/screenshots/studio-<tab>.png as 128-colour palette PNGs.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect, sync_playwright

from artgan.studio.app import launch, make_studio

REPO = Path(__file__).resolve().parent.parent
VIEWPORT = {"width": 1180, "height": 1000}
TRAIN_OPTIONS = "--preset quick --train.log_every 5 --train.threads 1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shoot(page, name: str, out: Path) -> None:
    raw = out / f".studio-{name}.raw.png"
    page.screenshot(path=raw)
    small = Image.open(raw).convert("RGB").quantize(colors=128, dither=Image.Dither.NONE)
    small.save(out / f"studio-{name}.png", optimize=True)
    raw.unlink()
    print(f"wrote {out / f'studio-{name}.png'}", flush=True)


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    expect(page.locator(f"#tab-{name.lower()}")).to_be_visible()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True, help="a trained latent image run (art, 32 px)")
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        shutil.copytree(args.run, runs / "art", ignore=shutil.ignore_patterns("feedback.jsonl"))
        studio = make_studio(runs)
        app, url = launch(studio, port=free_port(), block=False, quiet=True)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium)
                page = browser.new_page(viewport=VIEWPORT)
                page.set_default_timeout(300_000)
                expect.set_options(timeout=300_000)
                page.goto(url)
                page.locator("#create-seed input").fill("7")
                page.locator("#create-generate").click()
                expect(page.locator("#create-gallery .thumbnail-item")).to_have_count(16)
                shoot(page, "create", out)
                for index in (3, 9):
                    page.locator("#create-gallery .thumbnail-item").nth(index).click()
                    expect(page.locator("#create-index input")).to_have_value(str(index))
                    page.locator("#create-like").click()
                    expect(page.locator("#create-status")).to_contain_text(f"#{index}")
                page.locator("#create-enlarge input").first.fill("256")
                page.locator("#create-save").click()
                expect(page.locator("#create-status")).to_contain_text("saved")
                saved = next((runs / "art" / "studio").glob("*.png"))
                tab(page, "Verify")
                page.locator("#verify-file input[type=file]").set_input_files(str(saved))
                expect(page.locator("#verify-text textarea")).not_to_have_value("")
                shoot(page, "verify", out)
                tab(page, "Train")
                page.locator("#train-name textarea, #train-name input").first.fill("art-quick")
                page.locator("#train-steps input").fill("300")
                page.locator("#train-extra textarea, #train-extra input").first.fill(TRAIN_OPTIONS)
                page.locator("#train-start").click()
                # log_every 5: the first "step 2" is step 20, when the loss curve has 4 points
                expect(page.locator("#train-status")).to_contain_text("step 2")
                shoot(page, "train", out)
                page.locator("#train-stop").click()
                expect(page.locator("#train-status")).to_contain_text("stopped")
                browser.close()
        finally:
            studio.jobs.shutdown()
            app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
