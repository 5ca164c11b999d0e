"""What a studio request may touch: it reads and writes inside the runs folder and the output
folder, reads uploads from the web server's upload folder and training images from the data
folders the user named when starting the studio, and nothing else.

A name from the page (a run, a file name, a data folder) is refused when it is absolute, has a
``..`` part, or resolves (symbolic links followed) outside its root: the page is a network
client, and a request could be made by any program on the machine, not only by the page.
Uploaded images are bounded before they are decoded: their header size against
``max_megapixels`` (the ``--max-megapixels`` rule of stylize, upscale and inpaint).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..data.image_limits import header_size, sizes_checked_here
from ..errors import ArtganError, ConfigError, DataError
from ..provenance.output import IMAGE_FORMATS

DEFAULT_MAX_MEGAPIXELS = 16.0  # inputs the studio decodes (upload, invert, restyle, inpaint)
OUTPUT_SUBFOLDER = "studio"  # RUN/studio/: where saved files go when no output folder is chosen
SAFE_NAME = re.compile(r"^[\w][\w.\- ]{0,120}$")


class OutsideError(ArtganError):
    """A request named a path outside the folders the studio may use."""


def inside(root: Path, name: str | Path, what: str) -> Path:
    """``root / name`` resolved, or an :class:`OutsideError` where it would leave ``root``."""
    text = str(name)
    parts = Path(text).parts
    if not text or "\0" in text or Path(text).is_absolute() or ".." in parts or "\\" in text:
        raise OutsideError(f"{what} {text[:80]!r} is not a name inside {root}")
    root = root.resolve()
    candidate = (root / text).resolve()  # symbolic links followed: a link out is refused
    if candidate != root and root not in candidate.parents:
        raise OutsideError(f"{what} {text[:80]!r} leads outside {root}; it is refused")
    return candidate


def file_name(name: str, default: str, suffixes=tuple(IMAGE_FORMATS)) -> str:
    """A file name typed in the page: one plain name (no folders), with an image extension
    (``.png`` added when none is given)."""
    name = (name or "").strip() or default
    if not Path(name).suffix:
        name += ".png"
    if not SAFE_NAME.match(name) or name in (".", ".."):
        raise OutsideError(
            f"{name[:80]!r} is not a plain file name: use letters, digits, spaces, '.', '-' "
            "and '_' (no folders)"
        )
    if Path(name).suffix.lower() not in suffixes:
        raise ConfigError(f"{name}: saved images end in {', '.join(suffixes)}")
    return name


@dataclass(frozen=True)
class StudioFolders:
    runs: Path  # the runs folder the studio lists (``artgan studio RUNS``)
    output: Path | None = None  # where saved files go; None: into each run's studio/ folder
    data: tuple[Path, ...] = ()  # folders a training may read images from
    uploads: tuple[Path, ...] = ()  # the web server's upload folder(s)
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS
    _resolved: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        if not self.runs.is_dir():
            raise ConfigError(f"{self.runs} is not a folder of runs")
        if not 0 < self.max_megapixels < float("inf"):
            raise ConfigError(
                f"--max-megapixels must be a number above 0, got {self.max_megapixels:g}"
            )

    # --- runs ---------------------------------------------------------------------------------
    def run(self, name: str) -> Path:
        """The run folder called ``name`` inside the runs folder ('.' is the folder itself,
        when the studio was opened on one run)."""
        if name == ".":
            return self.runs.resolve()
        return inside(self.runs, name, "run")

    def run_name(self, folder: Path) -> str:
        folder, root = folder.resolve(), self.runs.resolve()
        return "." if folder == root else folder.relative_to(root).as_posix()

    # --- outputs ------------------------------------------------------------------------------
    def output_folder(self, run: Path | None) -> Path:
        """The chosen output folder, else the run's ``studio/`` folder (the runs folder's for
        files made without a run, e.g. by neural style transfer)."""
        if self.output is not None:
            return self.output.resolve()
        return inside(self.runs if run is None else run, OUTPUT_SUBFOLDER, "output folder")

    def output_file(self, run: Path | None, name: str, default: str) -> Path:
        """Where a saved file called ``name`` goes (never outside the output folder; an
        existing file is never replaced: a number is added instead)."""
        folder = self.output_folder(run)
        path = inside(folder, file_name(name, default), "file name")
        stem, suffix, k = path.stem, path.suffix, 1
        while path.exists():
            k += 1
            path = path.with_name(f"{stem}-{k}{suffix}")
        folder.mkdir(parents=True, exist_ok=True)
        return path

    # --- inputs -------------------------------------------------------------------------------
    def upload(self, path: str | Path | None, what: str = "image") -> Path:
        """An uploaded file: it must be in the upload folder (or, for a file saved earlier, in
        the runs or output folder)."""
        if not path:
            raise DataError(f"no {what} given: drop a file on the {what} box first")
        candidate = Path(path).resolve()
        roots = [*self.uploads, self.runs, *([self.output] if self.output else [])]
        if not any(candidate == r.resolve() or r.resolve() in candidate.parents for r in roots):
            raise OutsideError(f"{what} {Path(path).name!r} is not an upload; it is refused")
        if not candidate.is_file():
            raise DataError(f"{what} {Path(path).name} is gone; upload it again")
        return candidate

    def upload_image(self, path: str | Path | None, what: str = "image") -> Path:
        """:meth:`upload`, and refused before decoding when larger than ``max_megapixels``."""
        candidate = self.upload(path, what)
        with sizes_checked_here():
            try:
                width, height = header_size(candidate, what)
            except OSError:
                raise DataError(
                    f"{what} {candidate.name} is not an image Pillow can read (png, jpg, webp, ...)"
                ) from None
        self.check_megapixels(width, height, what)
        return candidate

    def check_megapixels(self, width: int, height: int, what: str = "image") -> None:
        if width * height / 1e6 > self.max_megapixels:
            raise DataError(
                f"{what} is {width}x{height}, {width * height / 1e6:.3g} megapixels, more than "
                f"--max-megapixels {self.max_megapixels:g}; use a smaller image or restart the "
                "studio with a larger --max-megapixels"
            )

    def data_folder(self, text: str) -> Path:
        """A training folder typed in the page: inside one of the ``--data`` folders."""
        if not self.data:
            raise OutsideError(
                "training from a folder needs the studio started with --data FOLDER (the "
                "folders it may read images from); or pick a built-in dataset"
            )
        text = text.strip()
        for root in self.data:
            try:
                return inside(root, text, "data folder")
            except OutsideError:
                continue
        roots = ", ".join(str(r) for r in self.data)
        raise OutsideError(f"data folder {text[:80]!r} is not inside {roots}")
