"""Do the README's examples finish in the time the README states? (issue 16's first target)

For each family of the README's preset table, alone and beside one busy process:

- ``--preset quick``: the whole command runs (``artgan train --model F --data D --preset quick``),
  timed from start to exit as a user waits for it (start-up, training, samples, checkpoints);
- ``--preset cpu``: the first steps run and the median step time (``step_s`` in log.jsonl, the
  first step not counted) times the preset's steps gives the total, since a full cpu preset is
  up to an hour a family. That figure is labelled as extrapolated.
- ``artgan demo``, whole, with the width of the sheets it writes (target: at most 3 min alone,
  8 min beside one busy process, sheets at least 512 px wide).

Each time is compared with the README's statement: within 0.5x to 1.5x of it passes. The share
of the machine that other processes took while a command ran is reported beside it (the busy
process of the "beside one busy" rows counts there: it takes about 1.3 of the 2 cores).

    python bench/readme_times.py                      # every row, alone and beside one busy
    python bench/readme_times.py --loads 0 --only demo,dcgan
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from artgan.data import art
from common import OUT_DIR, REPO, CpuShare, write_json_report

README = REPO / "README.md"
BUSY_LOOP = "import torch\na = torch.randn(1024, 1024)\nwhile True:\n    a @ a\n"
CPU_PRESET_STEPS_TIMED = 14  # steps run to time a cpu preset
STEPS_MEASURED = 6  # the last ones: after the warm-up and the thread trial (training/threads.py)

# The data each family's README row is about (built-in data, so the bench needs no files).
DATA = {
    "dcgan": "art",
    "resnet": "art",
    "vaegan": "art",
    "vae": "art",
    "fastgan": "art",
    "srresnet": "art",
    "srgan": "art",
    "inpaint": "art",
    "cyclegan": "two styles of art in two folders",
    "pix2pix": "art in grey beside the same art in colour",
    "charrnn": "sonnets",
    "mlp": "ring8",
    "wavegan": "spoken_digits",
}
TWO_DOMAIN_IMAGES = 200  # images a domain for cyclegan and pix2pix


def two_domain_folders(work: Path) -> dict[str, list[str]]:
    """The data options of the two-domain families, made from built-in art: cyclegan's domains
    are two painters' styles (unpaired), pix2pix's pairs a grey copy with the colour original
    under the same file name."""
    folders = {name: work / "data" / name for name in ("style-a", "style-b", "grey", "colour")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    index = 0
    counts = {0: 0, 1: 0}
    while min(counts.values()) < TWO_DOMAIN_IMAGES:
        pixels, label = art.render(index, 64, seed=0)
        image = Image.fromarray(pixels)
        if label in counts and counts[label] < TWO_DOMAIN_IMAGES:
            image.save(folders["style-a" if label == 0 else "style-b"] / f"{index:05d}.png")
            counts[label] += 1
        if index < TWO_DOMAIN_IMAGES:
            image.convert("L").convert("RGB").save(folders["grey"] / f"{index:05d}.png")
            image.save(folders["colour"] / f"{index:05d}.png")
        index += 1
    return {
        "cyclegan": ["--data-a", str(folders["style-a"]), "--data-b", str(folders["style-b"])],
        "pix2pix": ["--data-a", str(folders["grey"]), "--data-b", str(folders["colour"])],
    }


def data_options(family: str, folders: dict[str, list[str]]) -> list[str]:
    return folders.get(family) or ["--data", DATA[family]]


def parse_durations(text: str) -> list[float]:
    """Seconds of each part of "25 s", "10 s / 30 s" or "7 / 40 min" (a unit at the end applies
    to the parts without one)."""
    parts = [part.strip() for part in text.split("/")]
    units = [re.search(r"(s|min|h)\b", part) for part in parts]
    last_unit = next((u.group(1) for u in reversed(units) if u), "s")
    seconds = []
    for part, unit in zip(parts, units):
        number = re.search(r"[\d.]+", part)
        if number:
            scale = {"s": 1, "min": 60, "h": 3600}[unit.group(1) if unit else last_unit]
            seconds.append(float(number.group(0)) * scale)
    return seconds


def readme_table() -> dict[str, dict]:
    """The README's preset table: family -> {"quick": (steps, seconds), "cpu": (...)}. A row for
    two families ("srresnet / srgan", "3000 / 2000 steps") gives each its own figures."""
    rows: dict[str, dict] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or "steps" not in cells[1]:
            continue
        families = [f.split(" (")[0].strip() for f in cells[0].split("/")]
        for i, family in enumerate(families):
            rows[family] = {}
            for preset, cell in (("quick", cells[1]), ("cpu", cells[2])):
                steps_text = re.search(r"([\d /]+) steps", cell)
                steps = [int(s) for s in steps_text.group(1).split("/")] if steps_text else []
                totals = parse_durations(cell.split(":")[-1])
                rows[family][preset] = (
                    steps[min(i, len(steps) - 1)] if steps else None,
                    totals[min(i, len(totals) - 1)] if totals else None,
                )
    return rows


def artgan(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "artgan", *arguments]


def run_timed(command: list[str], cwd: Path, timeout: float) -> dict:
    """Run a command to its end; wall seconds, others' share of the machine, exit status."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    share = CpuShare(tree=process.pid).start()
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    others = share.stop()
    return {
        "wall_s": time.perf_counter() - start,
        "others": others,
        "rc": process.returncode,
        "tail": output.strip().splitlines()[-1:] if output else [],
    }


def median_step_s(run_dir: Path) -> float | None:
    lines = (run_dir / "log.jsonl").read_text(encoding="utf-8").splitlines()
    steps = [json.loads(line).get("step_s") for line in lines if line.strip()]
    steps = [s for s in steps if s is not None][-STEPS_MEASURED:]
    return statistics.median(steps) if steps else None


def sheet_widths(folder: Path) -> list[int]:
    widths = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in (".png", ".gif"):
            with Image.open(path) as image:
                widths.append(image.width)
    return widths


def verdict(measured: float | None, stated: float | None) -> tuple[str, str]:
    if measured is None or stated is None:
        return "-", "no figure"
    ratio = measured / stated
    return f"{ratio:.2f}x", "yes" if 0.5 <= ratio <= 1.5 else "NO"


def percent(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.0f} %"


def measure(only: set[str] | None, load: int, work: Path, table: dict) -> list[list]:
    rows: list[list] = []
    label = "alone" if load == 0 else f"beside {load} busy"
    if only is None or "demo" in only:
        out = work / f"demo-{load}"
        result = run_timed(artgan("demo", "--out", str(out)), work, timeout=1800)
        widths = sheet_widths(out) if out.exists() else []
        target = 180 if load == 0 else 480
        rows.append(
            [
                "artgan demo",
                label,
                f"{result['wall_s']:.0f} s",
                f"<= {target} s",
                f"{result['wall_s'] / target:.2f}x of the limit",
                "yes" if result["wall_s"] <= target and result["rc"] == 0 else "NO",
                percent(result["others"]),
                f"rc {result['rc']}; sheets {min(widths) if widths else '-'}-"
                f"{max(widths) if widths else '-'} px wide",
            ]
        )
        print(rows[-1], flush=True)
    folders = two_domain_folders(work)
    for family in DATA:
        if only is not None and family not in only:
            continue
        data = data_options(family, folders)
        stated = table.get(family, {})
        run_dir = work / f"{family}-quick-{load}"
        result = run_timed(
            artgan(
                "train", "--model", family, *data, "--preset", "quick",
                "--run-dir", str(run_dir),
            ),
            work,
            timeout=1800,
        )  # fmt: skip
        quick_stated = stated.get("quick", (None, None))[1]
        ratio, ok = verdict(result["wall_s"], quick_stated)
        rows.append(
            [
                f"{family} --preset quick (whole command)",
                label,
                f"{result['wall_s']:.0f} s",
                "-" if quick_stated is None else f"{quick_stated:.0f} s",
                ratio,
                ok if result["rc"] == 0 else f"NO (rc {result['rc']})",
                percent(result["others"]),
                " ".join(result["tail"])[:120] if result["rc"] else "",
            ]
        )
        print(rows[-1], flush=True)
        cpu_steps, cpu_stated = stated.get("cpu", (None, None))
        run_dir = work / f"{family}-cpu-{load}"
        result = run_timed(
            artgan(
                "train", "--model", family, *data, "--preset", "cpu",
                "--steps", str(CPU_PRESET_STEPS_TIMED), "--train.log_every", "1",
                "--run-dir", str(run_dir),
            ),
            work,
            timeout=1800,
        )  # fmt: skip
        step_s = median_step_s(run_dir) if result["rc"] == 0 else None
        preset_steps = cpu_steps or preset_steps_of(family, data, "cpu")
        total = step_s * preset_steps if step_s and preset_steps else None
        ratio, ok = verdict(total, cpu_stated)
        rows.append(
            [
                f"{family} --preset cpu (extrapolated: {preset_steps} x median step)",
                label,
                "-" if total is None else f"{total / 60:.1f} min ({step_s:.2f} s a step)",
                "-" if cpu_stated is None else f"{cpu_stated / 60:.0f} min",
                ratio,
                ok if result["rc"] == 0 else f"NO (rc {result['rc']})",
                percent(result["others"]),
                " ".join(result["tail"])[:120] if result["rc"] else "",
            ]
        )
        print(rows[-1], flush=True)
    return rows


def preset_steps_of(family: str, data: list[str], preset: str) -> int | None:
    """The steps a preset sets, from ``--dry-run`` (for families the README table lacks)."""
    output = subprocess.run(
        artgan("train", "--model", family, *data, "--preset", preset, "--dry-run"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ).stdout
    match = re.search(rf"preset {preset}:.*?steps (\d+)", output)
    return int(match.group(1)) if match else None


def kept_rows(new_rows: list[list]) -> list[list]:
    """Rows of the last report for the loads and commands not measured this time, so that
    ``--loads 0`` and ``--loads 1`` can run at different times into one report."""
    previous = OUT_DIR / "readme_times.json"
    if not previous.exists():
        return []
    measured = {(row[0].split(" (")[0], row[1]) for row in new_rows}
    old = json.loads(previous.read_text(encoding="utf-8"))["tables"][0]["rows"]
    return [row for row in old if (row[0].split(" (")[0], row[1]) not in measured]


def measured_seconds(text: str) -> float | None:
    """Seconds of a measured cell: "21 s" or "5.2 min (0.08 s a step)"."""
    durations = parse_durations(text.split(" (")[0]) if text != "-" else []
    return durations[0] if durations else None


def restate(rows: list[list], table: dict) -> list[list]:
    """The rows judged again against the README as it is now (after its figures were edited),
    without measuring anything again."""
    judged = []
    for row in rows:
        command, measured, ok = row[0], row[2], row[5]
        family, _, rest = command.partition(" --preset ")
        if not rest or ok.startswith("NO (rc"):
            judged.append(row)
            continue
        preset = rest.split()[0]
        stated = table.get(family, {}).get(preset, (None, None))[1]
        ratio, ok = verdict(measured_seconds(measured), stated)
        if stated is None:
            shown = "-"
        elif preset == "quick":
            shown = f"{stated:.0f} s"
        else:
            shown = f"{stated / 60:.0f} min"
        judged.append([row[0], row[1], measured, shown, ratio, ok, *row[6:]])
    return judged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", default="0,1", help="busy processes beside each command")
    parser.add_argument("--only", default="", help="comma-separated: demo and/or family names")
    parser.add_argument(
        "--restate",
        action="store_true",
        help="measure nothing: judge the last report's rows against the README as it is now",
    )
    parser.add_argument("--note", action="append", default=[], help="a note for the report")
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()} or None
    table = readme_table()
    rows: list[list] = []
    work = Path(tempfile.mkdtemp(prefix="artgan-readme-times-"))
    if args.restate:
        args.loads = ""
    try:
        for load in [int(n) for n in args.loads.split(",") if n]:
            busy = [
                subprocess.Popen([sys.executable, "-c", BUSY_LOOP], stdout=subprocess.DEVNULL)
                for _ in range(load)
            ]
            try:
                rows += measure(only, load, work, table)
            finally:
                for process in busy:
                    process.kill()
                    process.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = kept_rows(rows) + rows
    if args.restate:
        rows = restate(rows, table)
    write_json_report(
        "readme_times",
        "The README's examples: time taken against the time the README states",
        [
            {
                "caption": "Each command alone and beside one busy process (a 1024x1024 "
                "matrix-multiply loop at torch's default threads)",
                "columns": [
                    "command",
                    "load",
                    "measured",
                    "README says",
                    "ratio",
                    "within 0.5-1.5x",
                    "CPU taken by other processes (the busy one included)",
                    "notes",
                ],
                "rows": rows,
            }
        ],  # fmt: skip
        notes=[
            "quick presets: the whole command, start-up included, as a user waits for it",
            f"cpu presets: the median of the last {STEPS_MEASURED} of {CPU_PRESET_STEPS_TIMED} "
            "steps "
            "(after the warm-up and the thread trial) of a run with the "
            "preset's settings, times the preset's steps (a whole cpu preset is up to an hour)",
            "the demo's limits are issue 16's: 3 min alone, 8 min beside one busy process",
            *args.note,
        ],
        command="python bench/readme_times.py " + " ".join(sys.argv[1:]),
    )


if __name__ == "__main__":
    main()
