"""Reading back artgan's C2PA Content Credentials (and the invisible watermark, where one
can be looked for): is a file's manifest intact, who signed it, what made it.

Status, per file:
  * ``valid``: a manifest was found and the C2PA validator reports no integrity failure.
    A signer whose CA is not among the trust anchors (``signingCredential.untrusted``, the
    normal case for a local artgan CA) is still valid; ``trust`` says so.
  * ``tampered``: a manifest was found but the file or the manifest changed after signing
    (for example ``assertion.dataHash.mismatch`` after the pixels were edited), or the
    manifest itself is damaged.
  * ``absent``: no manifest, e.g. the file was re-encoded by an editor that drops metadata.

Trust anchors: the local artgan CA (if this user has one) plus any PEM the caller passes, so
your own files read as trusted and everyone else's as intact but untrusted.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from ..data.image_limits import open_image
from ..errors import DataError
from .c2pa_sign import (
    DETACHED_FORMAT,
    EMBEDDABLE,
    GENERATION_LABEL,
    OFFLINE_SETTINGS,
    SIDECAR_SUFFIX,
    require_c2pa,
    sidecar_path,
)
from .keys import local_trust_anchor

Status = Literal["valid", "tampered", "absent"]
# Status codes about the signer's credentials, not about the content's integrity.
CREDENTIAL_CODE_PREFIXES = ("signingCredential.", "timeStamp.")
UNTRUSTED = "signingCredential.untrusted"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif"}


@dataclass
class VerifyReport:
    path: str
    status: Status
    record: dict | None = None  # artgan's generation record, as signed
    signer: str | None = None
    trust: str = "none"
    manifest: str | None = None  # "embedded", "sidecar" or None
    claim_generator: str | None = None
    digital_source_type: str | None = None
    ingredients: list[str] = field(default_factory=list)  # titles of source files
    problems: list[str] = field(default_factory=list)
    # The invisible-watermark check (found, payload, confidence), None when not looked for.
    watermark: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class _DamagedManifest(Exception):
    """A manifest is present but cannot be parsed."""


class _NoManifest(Exception):
    """The file cannot be parsed as its format, so no manifest can be read from it."""


def _context(c2pa, trust_anchors: bytes | None):
    settings = dict(OFFLINE_SETTINGS)
    if trust_anchors:
        settings["trust"] = {"user_anchors": trust_anchors.decode("ascii")}
    return c2pa.Context.from_dict(settings)


def _default_anchors(extra: bytes | None) -> bytes | None:
    if extra:
        # The C2PA library ignores anchors it cannot parse; say so instead.
        from cryptography import x509

        try:
            x509.load_pem_x509_certificates(extra)
        except ValueError as error:
            raise DataError(f"trust anchors must be PEM certificates ({error})") from error
    anchors = [a for a in (local_trust_anchor(), extra) if a]
    return b"\n".join(anchors) if anchors else None


def _open_reader(c2pa, path: Path, context):
    """(reader, where) for the file's manifest, embedded or sidecar; (None, None) if none."""
    fmt = EMBEDDABLE.get(path.suffix.lower())
    if fmt is not None:
        data = path.read_bytes()
        try:
            return c2pa.Reader(fmt, io.BytesIO(data), context=context), "embedded"
        except c2pa.C2paError.ManifestNotFound:
            pass
        except c2pa.C2paError as error:
            # A JUMBF box in the file means a manifest was there but no longer parses; without
            # one the file simply is not the format its name says.
            if b"jumb" in data and b"c2pa" in data:
                raise _DamagedManifest(f"embedded manifest is damaged: {error}") from error
            raise _NoManifest(f"not a readable {fmt} file: {error}") from error
    side = sidecar_path(path)
    if not side.is_file():
        return None, None
    try:
        reader = c2pa.Reader(
            DETACHED_FORMAT, io.BytesIO(path.read_bytes()), side.read_bytes(), context=context
        )
        return reader, "sidecar"
    except c2pa.C2paError as error:
        raise _DamagedManifest(f"sidecar {side.name} is damaged: {error}") from error


def _active_manifest(data: dict) -> dict:
    return data.get("manifests", {}).get(data.get("active_manifest") or "", {})


def _assertion(manifest: dict, label: str):
    for assertion in manifest.get("assertions", []):
        if assertion.get("label") == label:
            return assertion.get("data")
    return None


def _signer(manifest: dict) -> str | None:
    info = manifest.get("signature_info") or {}
    name, org = info.get("common_name"), info.get("issuer")
    if not name and not org:
        return None
    return f"{name} ({org})" if name and org and org != name else (name or org)


def _source_type(manifest: dict) -> str | None:
    for label in ("c2pa.actions.v2", "c2pa.actions"):
        for action in (_assertion(manifest, label) or {}).get("actions", []):
            if action.get("action") == "c2pa.created":
                return action.get("digitalSourceType")
    return None


def _trust(state: str | None, codes: list[str]) -> str:
    credential = [c for c in codes if c.startswith(CREDENTIAL_CODE_PREFIXES) and c != UNTRUSTED]
    if credential:
        return "signer credential problem: " + ", ".join(credential)
    if state == "Trusted":
        return "trusted (the signer's CA is one of your trust anchors)"
    if UNTRUSTED in codes:
        return (
            "untrusted signer (its CA is not in your trust anchors; a local artgan CA "
            "stays untrusted elsewhere until the reader adds its ca.pem)"
        )
    return "unknown"


def _read_manifest(path: Path, trust_anchors: bytes | None) -> VerifyReport:
    c2pa = require_c2pa()
    report = VerifyReport(path=str(path), status="absent")
    try:
        reader, where = _open_reader(c2pa, path, _context(c2pa, trust_anchors))
    except _DamagedManifest as error:
        report.status, report.trust = "tampered", "unknown"
        report.problems.append(str(error))
        return report
    except _NoManifest as error:
        report.problems.append(str(error))
        return report
    if reader is None:
        return report
    with reader:
        state = reader.get_validation_state()
        data = json.loads(reader.json())
    manifest = _active_manifest(data)
    statuses = data.get("validation_status") or []
    codes = [s.get("code", "") for s in statuses]
    integrity = [s for s in statuses if not s.get("code", "").startswith(CREDENTIAL_CODE_PREFIXES)]
    tampered = bool(integrity) or (state not in ("Valid", "Trusted") and not codes)
    generators = manifest.get("claim_generator_info") or [{}]
    report.status = "tampered" if tampered else "valid"
    report.manifest = where
    report.record = _assertion(manifest, GENERATION_LABEL)
    report.signer = _signer(manifest)
    report.trust = _trust(state, codes)
    report.claim_generator = (
        " ".join(str(generators[0][k]) for k in ("name", "version") if generators[0].get(k)) or None
    )
    report.digital_source_type = _source_type(manifest)
    report.ingredients = [i.get("title", "?") for i in manifest.get("ingredients", [])]
    report.problems += [
        f"{s.get('code')}: {s.get('explanation', '')}".rstrip(": ")
        for s in statuses
        if s.get("code") != UNTRUSTED
    ]
    return report


def _detect_watermark(path: Path, record: dict | None) -> dict | None:
    """The watermark detector's verdict on an image, or None where there is none to ask
    (not an image, or :mod:`.watermark` not importable).

    ``watermark.detect`` takes an (H, W, 3) uint8 array and returns found / payload / bits /
    confidence. A found payload is also compared with the id of the signed record."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return None
    try:
        from .watermark import detect, payload_for_record
    except ImportError:
        return None

    try:
        with open_image(path) as image:  # its size checked before decoding
            pixels = np.asarray(image.convert("RGB"))  # (H, W, 3) uint8
        result = detect(pixels)
    except (OSError, DataError) as error:  # unreadable, or too small to carry a mark
        return {
            "found": False,
            "payload": None,
            "bits": "",
            "confidence": None,
            "error": str(error),
        }
    mark = {
        "found": bool(result.found),
        "payload": result.payload,
        "bits": result.bits,
        "confidence": float(result.confidence),
    }
    if result.found and record is not None:
        mark["matches_record"] = result.payload == payload_for_record(record)
    return mark


def verify_file(
    path: str | Path, trust_anchors: bytes | None = None, watermark: bool = True
) -> VerifyReport:
    """Check a generated file's C2PA manifest (embedded or ``<file>.c2pa``) and watermark.

    ``trust_anchors``: extra CA certificates (PEM) to trust besides the local artgan CA.
    """
    path = Path(path)
    if path.suffix == SIDECAR_SUFFIX and path.with_suffix("").is_file():
        path = path.with_suffix("")  # given the sidecar, check the file it describes
    if not path.is_file():
        raise DataError(f"no file to verify at {path}")
    report = _read_manifest(path, _default_anchors(trust_anchors))
    if watermark:
        report.watermark = _detect_watermark(path, report.record)
    return report


def report_lines(report: VerifyReport) -> list[str]:
    """The report as the lines ``artgan verify`` prints (the studio shows the same)."""
    lines = []
    where = f" ({report.manifest})" if report.manifest else ""
    lines.append(f"{report.path}: manifest {report.status}{where}")
    if report.signer:
        lines.append(f"  signer     {report.signer}")
        lines.append(f"  trust      {report.trust}")
    if report.claim_generator:
        lines.append(
            f"  made by    {report.claim_generator}"
            + (f", {report.digital_source_type}" if report.digital_source_type else "")
        )
    if report.ingredients:
        lines.append(f"  made from  {', '.join(report.ingredients)}")
    if report.record:
        lines.append("  record")
        width = max(len(key) for key in report.record)
        for key, value in report.record.items():
            shown = json.dumps(value) if isinstance(value, (dict, list)) else value
            lines.append(f"    {key:<{width}}  {shown}")
    mark = report.watermark
    unmarked = str((report.record or {}).get("watermark", ""))
    if unmarked.startswith("not watermarked") and not (mark and mark.get("found")):
        lines.append(f"  watermark  none: the record says {unmarked}")
    elif mark is not None:
        if mark.get("error"):
            lines.append(f"  watermark  not checked: {mark['error']}")
        elif mark["found"]:
            match = {True: ", matches the record", False: ", does NOT match the record"}.get(
                mark.get("matches_record"), ""
            )
            lines.append(
                f"  watermark  found, payload {mark['payload']:#010x} (bits {mark['bits']}), "
                f"confidence {mark['confidence']:.3g}{match}"
            )
        else:
            lines.append(f"  watermark  not found (confidence {mark['confidence']:.3g})")
    for problem in report.problems:
        lines.append(f"  problem    {problem}")
    return lines
