"""``artgan verify FILE...``: check the C2PA Content Credentials and watermark of files.

Exit status: 0 when every file's manifest is valid, 1 when any is tampered or absent,
2 for a user error (a file that does not exist, an unreadable trust-anchor file).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import DataError
from ..provenance.verify import VerifyReport, verify_file


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "verify",
        help="check the signed provenance (C2PA) and watermark of generated files",
        description="Exit status 0 if every manifest is valid, 1 if any is tampered or "
        "absent, 2 for a missing file.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="files to check")
    p.add_argument("--json", action="store_true", help="print one JSON report per file")
    p.add_argument(
        "--trust",
        metavar="PEM",
        help="extra CA certificates to trust (besides your local artgan CA)",
    )
    p.add_argument("--no-watermark", action="store_true", help="skip the watermark check")
    p.set_defaults(func=run)


def _print(report: VerifyReport) -> None:
    where = f" ({report.manifest})" if report.manifest else ""
    print(f"{report.path}: manifest {report.status}{where}")
    if report.signer:
        print(f"  signer     {report.signer}")
        print(f"  trust      {report.trust}")
    if report.claim_generator:
        print(
            f"  made by    {report.claim_generator}"
            + (f", {report.digital_source_type}" if report.digital_source_type else "")
        )
    if report.ingredients:
        print(f"  made from  {', '.join(report.ingredients)}")
    if report.record:
        print("  record")
        width = max(len(key) for key in report.record)
        for key, value in report.record.items():
            shown = json.dumps(value) if isinstance(value, (dict, list)) else value
            print(f"    {key:<{width}}  {shown}")
    mark = report.watermark
    unmarked = str((report.record or {}).get("watermark", ""))
    if unmarked.startswith("not watermarked") and not (mark and mark.get("found")):
        print(f"  watermark  none: the record says {unmarked}")
    elif mark is not None:
        if mark.get("error"):
            print(f"  watermark  not checked: {mark['error']}")
        elif mark["found"]:
            match = {True: ", matches the record", False: ", does NOT match the record"}.get(
                mark.get("matches_record"), ""
            )
            print(
                f"  watermark  found, payload {mark['payload']:#010x} (bits {mark['bits']}), "
                f"confidence {mark['confidence']:.3g}{match}"
            )
        else:
            print(f"  watermark  not found (confidence {mark['confidence']:.3g})")
    for problem in report.problems:
        print(f"  problem    {problem}")


def run(args) -> int:
    paths = [Path(f) for f in args.files]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise DataError(f"no such file: {', '.join(missing)}")
    anchors = None
    if args.trust:
        trust = Path(args.trust)
        if not trust.is_file():
            raise DataError(f"trust anchor file not found: {trust}")
        anchors = trust.read_bytes()
    reports = [
        verify_file(p, trust_anchors=anchors, watermark=not args.no_watermark) for p in paths
    ]
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        for report in reports:
            _print(report)
    return 0 if all(r.status == "valid" for r in reports) else 1
