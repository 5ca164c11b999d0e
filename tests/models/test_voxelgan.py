"""VoxelGAN and its parts: the projection of known grids, meshes by marching cubes, the built-in
shapes3d, training from pictures and from grids, and `artgan sample` writing meshes."""

import json
import math

import numpy as np
import pytest
import torch

import artgan
from artgan.cli.main import main
from artgan.config import DataConfig, from_dict
from artgan.data import load_dataset
from artgan.data.projection import absorption, render
from artgan.data.shapes3d import CLASSES, make_object
from artgan.errors import ArtganError, ConfigError
from artgan.mesh import grid_to_mesh
from artgan.models.base import DataSpec
from artgan.models.voxelgan import VoxelGAN, VoxelGANConfig
from artgan.provenance.output import read_record
from artgan.training.checkpoint import load_raw_tensors, resolve_checkpoint
from tests.conftest import QUIET_CLI, TINY_MODELS, tiny_run_config

SIDE = 16


def centres(side: int = SIDE) -> torch.Tensor:
    return (torch.arange(side) + 0.5) / side * 2 - 1  # voxel centres in (-1, 1)


def sphere(radius: float, side: int = SIDE) -> torch.Tensor:
    """(4, D, D, D): an opaque white ball, opacity anti-aliased by 4^3 samples a voxel."""
    fine = (torch.arange(side * 4) + 0.5) / (side * 4) * 2 - 1
    z, y, x = torch.meshgrid(fine, fine, fine, indexing="ij")
    inside = ((x**2 + y**2 + z**2) <= radius**2).float()
    opacity = inside.view(side, 4, side, 4, side, 4).mean(dim=(1, 3, 5))
    return torch.cat([opacity[None], torch.ones(3, side, side, side)])


def cube(half: int, side: int = SIDE) -> torch.Tensor:
    """(4, D, D, D): an opaque cube of 2 * ``half`` voxels a side in the middle."""
    volume = torch.zeros(4, side, side, side)
    lo, hi = side // 2 - half, side // 2 + half
    volume[:, lo:hi, lo:hi, lo:hi] = 1.0
    return volume


def views(*pairs):
    azimuth, elevation = zip(*pairs)
    return torch.tensor(azimuth), torch.tensor(elevation)


def test_projected_cube_is_its_square_from_the_front_and_from_the_side():
    grid = cube(4)[None].expand(2, -1, -1, -1, -1)  # 8 voxels a side
    silhouettes = render(grid, *views((0.0, 0.0), (math.pi / 2, 0.0)), mode="hull")
    expected = torch.zeros(SIDE, SIDE)
    expected[4:12, 4:12] = 1.0
    for silhouette in silhouettes[:, 0]:
        assert torch.equal((silhouette > 0.5).float(), expected)
        assert silhouette[4:12, 4:12].min() > 0.99  # 8 opaque voxels deep
    colour = render(grid[:1], *views((0.0, 0.0)), background=0.0)  # white cube on black
    assert colour.shape == (1, 3, SIDE, SIDE)
    assert colour[0, :, 4:12, 4:12].min() > 0.99 and colour[0][:, expected == 0].max() < 1e-6


def test_projected_sphere_is_its_disc_from_any_view():
    """A half-transparent ball: the hull is 1 - exp(-k * density * chord) at every pixel, the
    chord through the ball being known, from any view. An opaque one: the disc, its edge
    within a voxel (trilinear resampling softens it)."""
    radius, density = 0.6, 0.05
    grid = sphere(radius)
    grid[0] *= density
    many = views((0.0, 0.0), (1.0, 0.5), (2.5, -0.8))
    pictures = render(grid[None].expand(3, -1, -1, -1, -1), *many, mode="hull")
    y, x = torch.meshgrid(centres(), centres(), indexing="ij")
    chord = 2 * torch.sqrt((radius**2 - x**2 - y**2).clamp(min=0)) / (2 / SIDE)  # voxels
    expected = 1 - torch.exp(-absorption(SIDE) * density * chord)
    for silhouette in pictures[:, 0]:
        assert (silhouette - expected).abs().mean() < 0.03
        assert abs(silhouette.max() - expected.max()) < 0.01
    opaque = render(sphere(radius)[None], *views((0.0, 0.0)), mode="hull")[0, 0] > 0.5
    distance = torch.sqrt(x**2 + y**2)
    assert opaque[distance <= radius].all() and not opaque[distance > radius + 2 / SIDE].any()


def test_emission_absorption_shows_the_front_colour_and_the_background_around():
    volume = cube(4)
    volume[1:, :8] = torch.tensor([1.0, 0.0, 0.0]).view(3, 1, 1, 1)  # front half red
    volume[1:, 8:] = torch.tensor([0.0, 0.0, 1.0]).view(3, 1, 1, 1)  # back half blue
    front, back = render(volume[None].expand(2, -1, -1, -1, -1), *views((0.0, 0.0), (math.pi, 0)))
    assert front[0, 8, 8] > 0.95 and front[2, 8, 8] < 0.05  # the red half faces the camera
    assert back[2, 8, 8] > 0.95 and back[0, 8, 8] < 0.05  # turned round: the blue half
    assert torch.allclose(front[:, 0, 0], torch.ones(3))  # white background around


def test_marching_cubes_of_a_sphere_is_closed_with_the_right_volume():
    radius = 0.7
    mesh = grid_to_mesh(sphere(radius).numpy())
    assert mesh.is_watertight
    exact = 4 / 3 * math.pi * radius**3
    assert abs(mesh.volume - exact) / exact < 0.05
    assert np.allclose(mesh.bounds, [[-radius] * 3, [radius] * 3], atol=0.1)
    assert grid_to_mesh(np.zeros((4, SIDE, SIDE, SIDE))) is None  # no surface, no mesh


def test_a_shape_touching_the_grid_faces_is_still_closed():
    assert grid_to_mesh(torch.ones(4, 8, 8, 8).numpy()).is_watertight


def test_shapes3d_is_deterministic_holds_out_other_objects_and_keeps_one_class():
    a, label = make_object(3, side=SIDE, seed=0)
    b, _ = make_object(3, side=SIDE, seed=0)
    held, _ = make_object(3, side=SIDE, seed=0, split=1)
    assert np.array_equal(a, b) and not np.array_equal(a, held)
    assert CLASSES[label] == "chair" and a.shape == (4, SIDE, SIDE, SIDE)
    assert 0 <= a.min() and a.max() <= 1 and a[0].max() == 1.0
    pictures = load_dataset(DataConfig(source="shapes3d", size=20), SIDE)
    assert pictures.x.shape == (20, 3, SIDE, SIDE) and pictures.x.dtype == torch.uint8
    vases = load_dataset(DataConfig(source="shapes3d:vase", size=20), SIDE)
    assert len(vases) == 4 and set(vases.y.tolist()) == {0}
    grids = load_dataset(DataConfig(source="shapes3d-voxels", size=3), SIDE)
    batch = grids.get(torch.tensor([0, 2]))
    assert batch.x.shape == (2, 4, SIDE, SIDE, SIDE) and 0 <= batch.x.min() and batch.x.max() <= 1
    with pytest.raises(ArtganError, match="shapes3d has no class 'cup'; its classes: vase, bowl"):
        load_dataset(DataConfig(source="shapes3d:cup", size=5), SIDE)


def make(**changes) -> VoxelGAN:
    torch.manual_seed(0)
    cfg = {k: v for k, v in TINY_MODELS["voxelgan"].items() if k != "name"}
    return VoxelGAN(from_dict(VoxelGANConfig, {**cfg, **changes}))


def test_the_data_decides_the_discriminator_pictures_2d_grids_3d():
    config = from_dict(VoxelGANConfig, {"image_size": SIDE, "width": 4, "d_width": 4})
    assert config.with_data(DataSpec((4, SIDE, SIDE, SIDE))).supervision == "voxels"
    voxels = VoxelGAN(config)
    assert voxels.D(torch.rand(2, 4, SIDE, SIDE, SIDE)).shape == (2,)
    hull = make(projection="hull")
    assert hull.D(torch.rand(2, 1, SIDE, SIDE)).shape == (2,)  # silhouettes are one channel
    with pytest.raises(ConfigError, match="does not fit model.image_size 16"):
        from_dict(VoxelGANConfig, {"image_size": SIDE}).with_data(DataSpec((4, 32, 32, 32)))
    with pytest.raises(ConfigError, match="not from points"):
        from_dict(VoxelGANConfig, {}).with_data(DataSpec((2,)))


def test_hull_mode_sees_colour_pictures_as_silhouettes():
    model = make(projection="hull")
    white = torch.ones(1, 3, 4, 4)
    white[0, :, 1, 1] = torch.tensor([-0.8, 0.2, 0.5])  # one painted pixel
    silhouette = model.real_pictures(white)
    assert silhouette.shape == (1, 1, 4, 4)
    assert silhouette[0, 0, 1, 1] == 1 and (silhouette == -1).sum() == 15


def tiny_cli(run, data="shapes3d", steps=2, *extra):
    return [
        "train",
        "--model",
        "voxelgan",
        "--data",
        data,
        "--data.size",
        "16",
        "--steps",
        str(steps),
        "--run-dir",
        str(run),
        "--batch-size",
        "4",
        "--model.image_size",
        str(SIDE),
        "--model.width",
        "4",
        "--model.d_width",
        "4",
        "--model.z_dim",
        "8",
        *QUIET_CLI,
        *extra,
    ]


def test_train_from_pictures_and_sample_meshes_gifs_and_a_sheet_with_records(tmp_path):
    run = tmp_path / "run"
    assert main(tiny_cli(run)) == 0
    assert (run / "samples" / "step-00000002.png").is_file()  # the preview sheet
    out = tmp_path / "shapes"
    assert main(["sample", str(run), "--n", "2", "--seed", "3", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    for stem in ("0000", "0001"):
        assert f"{stem}.gif" in names
        for suffix in (".glb", ".obj"):  # meshes carry their signed record beside them
            if f"{stem}{suffix}" in names:
                assert f"{stem}{suffix}.c2pa" in names
                record = read_record(out / f"{stem}{suffix}")
                assert record["model_family"] == "voxelgan" and record["params"]["index"] == int(
                    stem
                )
    assert "sheet.png" in names and read_record(out / "sheet.png")["params"]["kind"] == "sheet"
    assert read_record(out / "0001.gif")["params"]["kind"] == "turntable"


def test_sample_writes_a_glb_that_trimesh_reads_back(tmp_path):
    import trimesh

    model = make()
    with torch.no_grad():
        model.G.net[-1].bias.copy_(torch.tensor([3.0, 0.0, 0.0, 0.0]))  # full grids: surfaces
    from artgan.output_kinds import write_meshes
    from artgan.provenance import GenerationRecord

    said = write_meshes(model, model.sample(1, seed=0), tmp_path / "m", GenerationRecord(seed=0))
    assert "wrote 1 meshes" in said
    mesh = trimesh.load(tmp_path / "m" / "0000.glb", force="mesh")
    assert len(mesh.faces) > 0 and mesh.is_watertight


def test_train_from_voxel_grids_and_resume_exactly(tmp_path):
    def config(steps, folder):
        c = tiny_run_config("voxelgan", steps=steps, run_dir=str(tmp_path / folder))
        c["data"] = {"source": "shapes3d-voxels", "size": 8}
        c["train"]["batch_size"] = 4
        return c

    straight = artgan.train(config(4, "straight"))
    assert json.loads((straight / "config.json").read_text())["model"]["supervision"] == "voxels"
    artgan.train(config(2, "resumed"))
    resumed = artgan.train(resume=tmp_path / "resumed", steps=4)
    a = load_raw_tensors(resolve_checkpoint(straight))
    b = load_raw_tensors(resolve_checkpoint(resumed))
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model.projection", "shadow"], "model.projection must be absorption or hull"),
        (["--model.image_size", "24"], "voxelgan makes grids of side 16, 32, 64"),
    ],
)
def test_bad_settings_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    assert main([*tiny_cli(tmp_path / "r"), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_points_data_and_a_file_out_are_one_line_and_exit_2(tmp_path, capsys):
    assert main(tiny_cli(tmp_path / "r", "ring8")) == 2
    err = capsys.readouterr().err.strip()
    assert "voxelgan learns from pictures" in err and len(err.splitlines()) == 1
    run = tmp_path / "run"
    assert main(tiny_cli(run, "shapes3d", 1)) == 0
    capsys.readouterr()
    assert main(["sample", str(run), "--n", "1", "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert "3-D models write a folder" in err and len(err.splitlines()) == 1


def test_train_on_a_folder_of_pictures_as_silhouettes(tmp_path):
    """A user's renders (any picture files) train it; hull mode reads them as silhouettes."""
    from PIL import Image

    folder = tmp_path / "renders"
    folder.mkdir()
    pictures = load_dataset(DataConfig(source="shapes3d", size=8), SIDE)
    for i, picture in enumerate(pictures.x):
        Image.fromarray(picture.permute(1, 2, 0).numpy()).save(folder / f"{i}.png")
    run = tmp_path / "run"
    assert main(tiny_cli(run, str(folder), 1, "--model.projection", "hull")) == 0
    saved = json.loads((run / "config.json").read_text())["model"]
    assert saved["projection"] == "hull" and saved["supervision"] == "images"
