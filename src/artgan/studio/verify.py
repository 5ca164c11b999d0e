"""The Verify tab's work: a dropped file's manifest state, generation record and watermark,
from the same function and the same words as ``artgan verify``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..provenance.verify import report_lines, verify_file
from .folders import StudioFolders


@dataclass(frozen=True)
class Verdict:
    status: str  # valid, tampered, absent, ...
    text: str  # the lines `artgan verify` prints, with the upload's own name
    report: dict  # the JSON report (`artgan verify --json`, its path called file)


def verify_upload(folders: StudioFolders, path, name: str | None = None) -> Verdict:
    """Verify an uploaded file (bounded like every upload) under its original ``name``."""
    file = folders.upload(path, "file")
    report = verify_file(file)
    shown = name or Path(str(path)).name
    report.path = shown  # the upload folder's path means nothing to the person
    data = report.to_dict()
    # "file", not "path": a JSON object with a "path" reads as a file to download to clients
    data = {"file": data.pop("path"), **data}
    return Verdict(report.status, "\n".join(report_lines(report)), data)
