"""3-D shapes learned from 2-D pictures: voxelgan on shapes3d, scored on held-out objects.

For one class of ``shapes3d`` (default: vase), four sets of shapes are compared with the same
number of held-out objects of that class (the test split: shapes no run has seen), by coverage
(COV, higher is better) and minimum matching distance (MMD, lower is better) with the Chamfer
distance between point clouds sampled on marching-cubes meshes (metrics/shapes.py):

- floor: training objects of the class themselves, what a generator that had learned the
  training distribution perfectly would score against held-out ones;
- untrained: the generator as initialised (same config and seed as the trained one);
- trained from pictures: voxelgan trained on ``shapes3d:CLASS`` renders only (2-D);
- trained from grids (``--grids``): the same generator against the 3-D discriminator on
  ``shapes3d-voxels`` (3D-GAN), for reference.

An empty grid (no voxel above the surface level) has no mesh; it counts as a cloud of one point
at the centre, and the table says how many there were. Training budgets are in steps, with the
CPU seconds they took (time.process_time of this process; the machine is shared). Contact
sheets (one row an object, 8 views round it) go to bench/out/voxel/ for a person to look at.

    python bench/voxel.py                       # vases, 600 steps
    python bench/voxel.py --class chair --steps 1000 --grids
    python bench/voxel.py --quick               # a smoke run (16^3, few steps)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

import artgan
from artgan.config import from_dict
from artgan.data.shapes3d import CLASSES, VIEWS_PER_OBJECT, make_objects
from artgan.mesh import grid_to_mesh, surface_points
from artgan.metrics.shapes import chamfer_matrix, coverage_and_mmd
from artgan.models.voxelgan import VoxelGAN, VoxelGANConfig
from artgan.output_kinds import mesh_sheet, write_meshes
from artgan.provenance import GenerationRecord, write_image
from common import OUT_DIR, QUIET_TRAIN, write_json_report

PICTURES = OUT_DIR / "voxel"  # --name changes it


def clouds(grids: torch.Tensor, points: int) -> tuple[torch.Tensor, int]:
    """(N, points, 3) surface samples of each grid's mesh, and how many grids were empty."""
    out, empty = [], 0
    for i, grid in enumerate(grids):
        mesh = grid_to_mesh(grid.numpy())
        if mesh is None or mesh.area <= 0:
            empty += 1
            out.append(np.zeros((points, 3), np.float32))
        else:
            out.append(surface_points(mesh, points, seed=i))
    return torch.from_numpy(np.stack(out)), empty


def model_config(args, side: int) -> dict:
    return {
        "name": "voxelgan",
        "image_size": side,
        "width": args.width,
        "d_width": args.d_width,
        "z_dim": args.z_dim,
    }


def train(args, side: int, source: str, size: int, folder: str) -> tuple[Path, float]:
    config = {
        "model": model_config(args, side),
        "data": {"source": source, "size": size},
        "train": {
            **QUIET_TRAIN,
            "steps": args.steps,
            "batch_size": args.batch_size,
            "threads": args.threads,
            "sample_every": max(1, args.steps // 4),
            "seed": 0,
        },
        "run_dir": str(PICTURES / folder),
    }
    start = time.process_time()
    run = artgan.train(config)
    return run, time.process_time() - start


def sheet(model, grids: torch.Tensor, name: str) -> str:
    path = PICTURES / f"{name}.png"
    write_image(mesh_sheet(model, grids[:8]), path, GenerationRecord(params={"bench": name}))
    return str(path.relative_to(OUT_DIR.parent.parent))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--class", dest="cls", default="vase", choices=CLASSES)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--d-width", type=int, default=32)
    p.add_argument("--z-dim", type=int, default=64)
    p.add_argument("--shapes", type=int, default=32, help="shapes in each compared set")
    p.add_argument("--points", type=int, default=1024, help="surface points per shape")
    p.add_argument("--renders", type=int, default=1600, help="training pictures of the class")
    p.add_argument("--side", type=int, default=32, choices=(16, 32, 64), help="grid side")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--grids", action="store_true", help="also train from voxel grids (3D-GAN)")
    p.add_argument("--name", default="voxel", help="report bench/out/NAME.json, pictures NAME/")
    p.add_argument("--quick", action="store_true", help="16^3, 20 steps, 8 shapes: a smoke run")
    args = p.parse_args()
    side = args.side
    if args.quick:
        side, args.steps, args.shapes, args.points, args.renders = 16, 20, 8, 256, 64
    torch.set_num_threads(args.threads)
    global PICTURES
    PICTURES = OUT_DIR / args.name
    PICTURES.mkdir(parents=True, exist_ok=True)

    held, _ = make_objects(args.shapes, side, seed=0, split=1, classes=[args.cls])
    floor, _ = make_objects(args.shapes, side, seed=0, split=0, classes=[args.cls])
    reference, _ = clouds(held, args.points)
    torch.manual_seed(0)  # the trainer's initial weights (train.seed 0)
    config = from_dict(
        VoxelGANConfig, {k: v for k, v in model_config(args, side).items() if k != "name"}
    )
    untrained = VoxelGAN(config).eval()

    sets = [("floor: training objects", floor, None, "")]
    sets.append(("untrained generator", untrained.sample(args.shapes, seed=1), None, ""))
    # shapes3d:CLASS keeps one class in five of the pictures made: ask for five times as many.
    total = args.renders * len(CLASSES)
    run, seconds = train(args, side, f"shapes3d:{args.cls}", total, "run-pictures")
    pictures_model = artgan.load(run)
    sets.append(("trained from pictures", pictures_model.sample(args.shapes, seed=1), seconds, ""))
    if args.grids:
        grid_objects = total // VIEWS_PER_OBJECT  # the same objects as the pictures show
        run_g, seconds_g = train(
            args, side, f"shapes3d-voxels:{args.cls}", grid_objects, "run-grids"
        )
        grids_model = artgan.load(run_g)
        sets.append(
            ("trained from grids (3-D D)", grids_model.sample(args.shapes, seed=1), seconds_g, "")
        )

    rows, notes = [], []
    for name, grids, seconds, _ in sets:
        generated, empty = clouds(grids, args.points)
        scores = coverage_and_mmd(chamfer_matrix(generated, reference))
        budget = "" if seconds is None else f"{args.steps} steps, {seconds:.0f} CPU s"
        rows.append(
            [
                name,
                f"{scores['cov']:.3f}",
                f"{scores['mmd'] * 1000:.2f}",
                f"{empty}/{len(grids)}",
                budget,
            ]
        )
        print(rows[-1], flush=True)
    pictured = [("held-out", held), *[(n.split(":")[0].split(" (")[0], g) for n, g, _, _ in sets]]
    for name, grids in pictured:
        notes.append(f"sheet ({name}): {sheet(pictures_model, grids, name.replace(' ', '-'))}")
    record = GenerationRecord(params={"bench": "voxel"})
    said = write_meshes(pictures_model, sets[2][1][:4], PICTURES / "samples", record)
    notes.append(f"trained from pictures, `artgan sample` output: {said}")
    notes += [
        f"class {args.cls}; {args.shapes} shapes a set against {args.shapes} held-out objects "
        f"(shapes3d test split); {args.points} surface points a shape; grids {side}^3",
        f"voxelgan width {args.width}, d_width {args.d_width}, z_dim {args.z_dim}, batch "
        f"{args.batch_size}, {args.renders} training pictures of the class ({args.renders // 4} "
        f"objects x 4 views; the grids run: the same objects' grids), {args.threads} "
        "thread(s), on a machine shared by other sessions",
        "MMD is the mean Chamfer distance (squared, grid units of [-1, 1]^3) x 1000 of each "
        "held-out shape to its nearest generated one; COV the share of held-out shapes that are "
        "some generated shape's nearest",
    ]
    write_json_report(
        args.name,
        "3-D shapes from 2-D pictures (voxelgan on shapes3d, held-out objects)",
        [
            {
                "caption": f"COV / MMD-CD against {args.shapes} held-out {args.cls} objects",
                "columns": ["shapes", "COV", "MMD-CD x1000", "empty grids", "training"],
                "rows": rows,
            }
        ],
        notes,
        command="python bench/voxel.py " + " ".join(sys.argv[1:]),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
