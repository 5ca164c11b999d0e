"""``artgan data scan FOLDER``: write the dataset manifest of an image folder (hashes, sizes,
licences, sources, do-not-train marks; see artgan.data.consent). ``artgan data export NAME``:
a labelled built-in dataset as a folder of class sub-folders (artgan.dataset_export)."""

from __future__ import annotations

from pathlib import Path

from ..data.consent import MANIFEST_FILE, scan_folder, write_manifest
from ..dataset_export import export_labelled

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
    export = actions.add_parser(
        "export",
        help="write a labelled built-in dataset (e.g. fashion-mnist-m) as class folders",
    )
    export.add_argument("name", help="built-in dataset: fashion-mnist-m, fashion-mnist, ...")
    export.add_argument("--out", required=True, help="new (or empty) folder to write")
    export.add_argument("--split", default="train", help="train (default) or test")
    export.add_argument("--limit", type=int, default=0, help="at most this many images")
    export.add_argument("--seed", type=int, default=0, help="procedural datasets' seed")
    export.set_defaults(func=run_export)


def run_export(args) -> int:
    counts = export_labelled(args.name, args.out, args.split, args.limit, args.seed)
    print(f"wrote {sum(counts.values())} images of {args.name} ({args.split}) to {args.out}/")
    for folder, count in counts.items():
        print(f"  {count:>6}  {folder}/")
    return 0


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
