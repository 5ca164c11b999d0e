"""``artgan info``: what a run is — config, step, data, latest losses, files."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import CheckpointError
from ..run_folder import Run
from ..training.checkpoint import read_meta, resolve_checkpoint
from ..training.logs import TrainingLog


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("info", help="describe a run: config, step, data, losses, files")
    p.add_argument("run", help="run folder")
    p.add_argument("--json", action="store_true", help="print everything as JSON")
    p.set_defaults(func=run)


def describe(run_dir: Path) -> dict:
    checkpoint = resolve_checkpoint(run_dir)
    meta = read_meta(checkpoint)
    run = Run.of(checkpoint)
    root, config = run.root, run.saved_config()
    log = TrainingLog(root, enabled=False, tensorboard=False).read()
    files = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and "tensorboard" not in p.parts
    )
    return {
        "run": str(root),
        "family": meta["family"],
        "step": meta.get("step"),
        "target_steps": config.get("train", {}).get("steps"),
        "checkpoint": str(checkpoint),
        "artgan_version": meta.get("artgan_version"),
        "model": meta["model"],
        "data": meta.get("data", {}),
        "last_log": log[-1] if log else {},
        "config": config,
        "files": files,
    }


def run(args) -> int:
    run_dir = Path(args.run)
    if not run_dir.exists():
        raise CheckpointError(f"no run folder at {run_dir}")
    info = describe(run_dir)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    data = info["data"]
    report = data.get("report", {})
    print(f"run        {info['run']}")
    print(
        f"model      {info['family']}  "
        + ", ".join(f"{k}={v}" for k, v in info["model"].items() if k not in ("name", "objective"))
    )
    if "objective" in info["model"]:
        print("objective  " + ", ".join(f"{k}={v}" for k, v in info["model"]["objective"].items()))
    print(f"step       {info['step']} of {info['target_steps']}  ({info['checkpoint']})")
    print(
        f"data       {data.get('source')}  shape={data.get('shape')}  "
        f"items={report.get('count')}  skipped={report.get('skipped', 0)}  "
        f"classes={len(data.get('class_names') or [])}"
    )
    last = info["last_log"]
    if last:
        print(
            "losses     "
            + ", ".join(
                f"{k}={v:.4g}"
                for k, v in last.items()
                if k != "step" and isinstance(v, (int, float))
            )
        )
    print(f"files      {len(info['files'])}:")
    for name in info["files"]:
        print(f"  {name}")
    return 0
