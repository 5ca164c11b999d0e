"""``artgan data scan FOLDER``: write the dataset manifest of an image folder (hashes, sizes,
licences, sources, do-not-train marks; see artgan.data.consent)."""

from __future__ import annotations

from pathlib import Path

from ..data.consent import MANIFEST_FILE, scan_folder, write_manifest

SHOWN = 20


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("data", help="inspect training data: licences and consent")
    actions = p.add_subparsers(dest="data_action", metavar="ACTION", required=True)
    scan = actions.add_parser(
        "scan",
        help="write a dataset manifest: per file SHA-256, size, licence, do-not-train marks",
    )
    scan.add_argument("folder", help="the image folder you would train on")
    scan.add_argument("--out", help=f"manifest path (default: FOLDER/{MANIFEST_FILE})")
    scan.set_defaults(func=run_scan)


def run_scan(args) -> int:
    manifest = scan_folder(args.folder)
    out = Path(args.out) if args.out else Path(args.folder).expanduser() / MANIFEST_FILE
    write_manifest(manifest, out)
    excluded = manifest.excluded
    print(f"scanned {len(manifest.files)} images in {manifest.root}")
    print(f"manifest      {out}")
    print(f"sha256        {manifest.sha256}")
    print(f"trainable     {len(manifest.files) - len(excluded)}")
    for licence, count in manifest.licences().items():
        print(f"  licence     {count:>6}  {licence}")
    print(f"do-not-train  {len(excluded)} (left out of training)")
    for entry in excluded[:SHOWN]:
        print(f"  {entry.path}: {entry.reason}")
    if len(excluded) > SHOWN:
        print(f"  ... and {len(excluded) - SHOWN} more (listed in the manifest)")
    generated = sum(f.generated for f in manifest.files)
    if generated:
        print(f"generated     {generated} file(s) say (C2PA) a trained model made them")
    for note in manifest.notes:
        print(f"note          {note}")
    return 0
