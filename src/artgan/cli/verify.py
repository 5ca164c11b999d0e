"""``artgan verify FILE...``: check the C2PA Content Credentials and watermark of files.

Exit status: 0 when every file's manifest is valid, 1 when any is tampered or absent,
2 for a user error (a file that does not exist, an unreadable trust-anchor file).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import DataError
from ..provenance.verify import VerifyReport, report_lines, verify_file


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
    print("\n".join(report_lines(report)))


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
