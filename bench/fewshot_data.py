"""Offline emoji image folders for bench/fewshot.py: OpenMoji and Noto emoji from npm.

- **OpenMoji** 17 (``npm pack openmoji``): 4,495 colour SVGs under ``color/svg/``, CC-BY-SA-4.0,
  rasterised on white at the size asked for (128 or 256 px) with ``resvg-py``.
- **Noto emoji** (``npm pack emoji-datasource-google``): 3,786 PNGs of 64 px under
  ``img/google/64/``, Apache-2.0 (the package's own MIT licence covers its code, not the
  images), composited on white.

Each data set becomes two flat folders of RGB PNGs in the bench's data cache (``bench/data/``,
git-ignored; ``ARTGAN_BENCH_DATA`` moves it): ``<name>`` for training and ``<name>-heldout``
(about 11 % of the files, chosen by a hash of the file name, so the split never changes) for
the real-vs-real floor and the memorization threshold. Each folder holds a ``LICENSE`` file
with an ``SPDX-License-Identifier`` line and the source, which ``artgan data scan`` and the
model card pick up. The images are never committed.

Needs ``npm`` (Debian: ``apt-get install -y npm``) and ``resvg-py`` (``pip install -e .[bench]``).

    python bench/fewshot_data.py                 # OpenMoji 128 and 256 px, Noto 64 px
    python bench/fewshot_data.py --sizes 128
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from PIL import Image

DATA_DIR = Path(os.environ.get("ARTGAN_BENCH_DATA") or Path(__file__).parent / "data")
HELD_OUT_PER_MILLE = 111  # about 500 of OpenMoji's 4,495 files

OPENMOJI = {
    "package": "openmoji",
    "prefix": "package/color/svg/",
    "licence": "CC-BY-SA-4.0",
    "credit": "OpenMoji, the open-source emoji and icon project (https://openmoji.org/). "
    "All emojis designed by OpenMoji. License: CC BY-SA 4.0.",
}
NOTO = {
    "package": "emoji-datasource-google",
    "prefix": "package/img/google/64/",
    "licence": "Apache-2.0",
    "credit": "Noto Emoji by Google (https://github.com/googlefonts/noto-emoji), Apache "
    "License 2.0, as packaged by the npm package emoji-datasource-google.",
}


def npm_pack(package: str) -> Path:
    """The npm tarball of ``package`` in DATA_DIR/npm (packed once; needs ``npm``)."""
    folder = DATA_DIR / "npm"
    found = sorted(folder.glob(f"{package}-[0-9]*.tgz"))
    if found:
        return found[-1]
    if shutil.which("npm") is None:
        raise SystemExit("npm is missing: apt-get update && apt-get install -y npm")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", package, "--silent"], cwd=folder, check=True)
    found = sorted(folder.glob(f"{package}-[0-9]*.tgz"))
    if not found:
        raise SystemExit(f"npm pack {package} left no tarball in {folder}")
    return found[-1]


def held_out(name: str) -> bool:
    """Whether file ``name`` belongs to the held-out part (a fixed hash of the name)."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % 1000 < HELD_OUT_PER_MILLE


def on_white(image: Image.Image) -> Image.Image:
    """RGB with any transparency composited on white."""
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def licence_text(source: dict, tarball: Path, how: str) -> str:
    return (
        f"{source['credit']}\n"
        f"SPDX-License-Identifier: {source['licence']}\n"
        f"Source: npm package {tarball.name.removesuffix('.tgz')} ({source['prefix']}), "
        f"{how} by artgan bench/fewshot_data.py. The full licence text is in the package.\n"
    )


def build(name: str, source: dict, convert, how: str) -> tuple[Path, Path]:
    """Write DATA_DIR/<name> and DATA_DIR/<name>-heldout from ``source`` (once)."""
    train, held = DATA_DIR / name, DATA_DIR / f"{name}-heldout"
    if train.is_dir() and held.is_dir():
        return train, held
    tarball = npm_pack(source["package"])
    staging = {True: DATA_DIR / f".{name}-heldout.tmp", False: DATA_DIR / f".{name}.tmp"}
    for folder in staging.values():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / "LICENSE").write_text(licence_text(source, tarball, how), encoding="utf-8")
    counts = {True: 0, False: 0}
    with tarfile.open(tarball) as archive:
        for member in archive:
            if not member.isfile() or not member.name.startswith(source["prefix"]):
                continue
            stem = Path(member.name).stem
            image = convert(archive.extractfile(member).read())
            side = held_out(stem)
            image.save(staging[side] / f"{stem}.png", optimize=False)
            counts[side] += 1
    for side, folder in ((False, train), (True, held)):
        shutil.rmtree(folder, ignore_errors=True)
        staging[side].rename(folder)
    print(f"{name}: {counts[False]} training + {counts[True]} held-out images in {DATA_DIR}")
    return train, held


def openmoji(size: int = 128) -> tuple[Path, Path]:
    """(training folder, held-out folder) of OpenMoji rasterised at ``size`` px on white."""
    try:
        import resvg_py
    except ImportError as error:
        raise SystemExit("rasterising OpenMoji needs resvg-py: pip install -e .[bench]") from error

    def convert(svg: bytes) -> Image.Image:
        png = resvg_py.svg_to_bytes(
            svg_string=svg.decode("utf-8"), width=size, height=size, background="#ffffff"
        )
        return on_white(Image.open(io.BytesIO(bytes(png))))

    return build(f"openmoji-{size}", OPENMOJI, convert, f"rasterised at {size} px on white")


def openmoji_faces(size: int = 128) -> tuple[Path, Path]:
    """(training folder, held-out folder) of OpenMoji's faces (its smileys-emotion group,
    subgroups face-*: about 120 yellow faces), taken from ``openmoji(size)`` with the same split.
    One motif, so a short CPU run can learn it."""
    name = f"openmoji-faces-{size}"
    train, held = DATA_DIR / name, DATA_DIR / f"{name}-heldout"
    if train.is_dir() and held.is_dir():
        return train, held
    with tarfile.open(npm_pack(OPENMOJI["package"])) as archive:
        table = archive.extractfile("package/data/openmoji.csv").read().decode("utf-8")
    faces = {
        row["hexcode"]
        for row in csv.DictReader(io.StringIO(table))
        if row["group"] == "smileys-emotion" and row["subgroups"].startswith("face-")
    }
    for source, out in zip(openmoji(size), (train, held)):
        staging = out.with_name(f".{out.name}.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        (staging / "LICENSE").write_text(
            (source / "LICENSE").read_text(encoding="utf-8")
            + "Only the faces (group smileys-emotion, subgroups face-*).\n",
            encoding="utf-8",
        )
        for path in sorted(source.glob("*.png")):
            if path.stem in faces:
                shutil.copy(path, staging / path.name)
        shutil.rmtree(out, ignore_errors=True)
        staging.rename(out)
    counts = [len(list(folder.glob("*.png"))) for folder in (train, held)]
    print(f"{name}: {counts[0]} training + {counts[1]} held-out faces in {DATA_DIR}")
    return train, held


def noto() -> tuple[Path, Path]:
    """(training folder, held-out folder) of Noto emoji, 64 px, composited on white."""

    def convert(png: bytes) -> Image.Image:
        return on_white(Image.open(io.BytesIO(png)))

    return build("noto-64", NOTO, convert, "64 px PNGs composited on white")


def subset(folder: Path, count: int) -> Path:
    """A folder of the first ``count`` images of ``folder`` (by name) and its LICENSE."""
    out = folder.parent / f"{folder.name}-first{count}"
    if out.is_dir() and len(list(out.glob("*.png"))) == count:
        return out
    files = sorted(folder.glob("*.png"))
    if len(files) < count:
        raise SystemExit(f"{folder} has {len(files)} images, fewer than {count}")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copy(folder / "LICENSE", out / "LICENSE")
    for path in files[:count]:
        shutil.copy(path, out / path.name)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="128,256", help="OpenMoji sizes in px")
    parser.add_argument("--no-noto", action="store_true", help="skip the Noto emoji")
    args = parser.parse_args()
    for size in args.sizes.split(","):
        openmoji(int(size))
    if not args.no_noto:
        noto()


if __name__ == "__main__":
    main()
