"""Adaptive discriminator augmentation (losses/ada.py): the pipeline, the p controller, its
wiring into the objective and the families, and its config checks."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import artgan
from artgan.config import DataConfig, from_dict
from artgan.data import fashion_mnist, load_dataset
from artgan.errors import ConfigError
from artgan.losses.ada import (
    AdaptiveAugment,
    _rotate2d,
    _scale2d,
    _translate2d,
    ada_augment,
    apply_colour,
    apply_cutout,
    apply_geometric,
    colour_matrix,
    geometric_matrix,
)
from artgan.losses.objective import GANObjective, ObjectiveConfig
from artgan.models import model_class
from artgan.training.checkpoint import load_training_state, resolve_checkpoint
from tests.conftest import TINY_MODELS, tiny_run_config


def build(model: dict):
    cls = model_class(model["name"])
    return cls(from_dict(cls.config_class, {k: v for k, v in model.items() if k != "name"}))


def images(b=4, c=3, side=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, c, side, side, generator=g) * 2 - 1


# --- the pipeline ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, transform",
    [
        ("geometric", lambda x: apply_geometric(x, geometric_matrix(4, 16, 16, 1.0, x.device))),
        ("colour", lambda x: apply_colour(x, colour_matrix(4, 3, 1.0, x.device))),
        ("colour-grey", lambda x: apply_colour(x, colour_matrix(4, 1, 1.0, x.device))),
        ("cutout", lambda x: apply_cutout(x, 1.0)),
        ("pipeline", lambda x: ada_augment(x, 1.0)),
    ],
)
def test_each_augmentation_is_differentiable(name, transform):
    x = images(c=1 if name == "colour-grey" else 3).requires_grad_(True)
    torch.manual_seed(0)
    y = transform(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    (y * torch.randn_like(y)).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_identity_at_p_zero_draws_nothing():
    x = images()
    torch.manual_seed(3)
    before = torch.get_rng_state()
    assert ada_augment(x, 0.0) is x
    assert torch.equal(torch.get_rng_state(), before)
    assert AdaptiveAugment(p=0.0)(x) is x


@pytest.mark.parametrize("channels", [1, 3])
def test_p_one_changes_every_image_and_keeps_shape_and_dtype(channels):
    x = images(b=8, c=channels)
    torch.manual_seed(0)
    y = ada_augment(x, 1.0)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert all(not torch.allclose(a, b) for a, b in zip(x, y))
    # Non-images (points, audio) pass unchanged.
    points = torch.randn(8, 2)
    assert ada_augment(points, 1.0) is points


def test_bf16_autocast_on_cpu():
    x = images().bfloat16().requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = ada_augment(x, 0.7)
    assert y.dtype == torch.bfloat16 and y.shape == x.shape
    y.float().sum().backward()
    assert torch.isfinite(x.grad.float()).all()


def test_integer_geometry_is_exact():
    """Flips, quarter turns and whole-pixel shifts land on pixel centres: no blur."""
    x, b = images(b=2), 2
    ones, zeros = torch.ones(b), torch.zeros(b)

    def same(a, b):
        return torch.allclose(a, b, rtol=0, atol=1e-5)  # float round-off of the grid only

    assert same(apply_geometric(x, _scale2d(-ones, ones, b, "cpu")), x.flip(3))
    turned = apply_geometric(x, _rotate2d(zeros, ones, b, "cpu"))
    assert any(same(turned, torch.rot90(x, k, (2, 3))) for k in (1, 3))
    shifted = apply_geometric(x, _translate2d(-3 * ones, zeros, b, "cpu"))  # content moves right
    assert same(shifted[..., 3:], x[..., :-3])
    assert same(apply_geometric(x, torch.eye(3).expand(b, 3, 3)), x)


def test_colour_transforms_keep_grey_grey_under_hue_and_saturation():
    torch.manual_seed(0)
    c = colour_matrix(64, 3, 1.0, torch.device("cpu"))
    grey = torch.full((64, 3, 2, 2), 0.25)
    out = apply_colour(grey, c)
    # Brightness, contrast and luma flip move a grey pixel along the grey axis only.
    assert torch.allclose(out[:, 0], out[:, 1], atol=1e-5)
    assert torch.allclose(out[:, 1], out[:, 2], atol=1e-5)


def test_each_transform_happens_with_probability_p():
    """Each transform is drawn per sample with probability p. A sample comes out untouched
    when none changes it: x-flip and luma flip change it half the times they are drawn, a
    quarter turn 3/4, an integer shift of up to 1/8 of 8 px rounds to 0 half the time, and the
    two rotations together are drawn with probability p; the other eight change it always."""
    torch.manual_seed(0)
    p = 0.3
    x = images(b=4000, side=8)
    untouched = (ada_augment(x, p) - x).abs().flatten(1).amax(1) < 1e-5
    expected = (1 - p / 2) ** 3 * (1 - 3 * p / 4) * (1 - p) ** 9
    assert untouched.float().mean().item() == pytest.approx(expected, abs=0.006)
    cut = (apply_cutout(torch.ones(4000, 1, 8, 8), 0.3) == 0).flatten(1).any(1)
    assert cut.float().mean().item() == pytest.approx(0.3, abs=0.03)


# --- the p controller --------------------------------------------------------------------------


def test_p_moves_by_images_over_kimg_every_interval():
    ada = AdaptiveAugment(p=0.0, target=0.6, kimg=1.0, interval=4)
    confident = torch.full((16, 1), 3.0)
    for _ in range(3):
        logged = ada.observe(confident, images=16)
        assert ada.p == 0.0 and logged["ada_rt"].item() == 1.0
    ada.observe(confident, images=16)  # the 4th step: 64 images at 1k images per unit of p
    assert ada.p == pytest.approx(0.064)
    unsure = torch.tensor([[1.0], [-1.0]] * 8)  # r_t = 0 < 0.6
    for _ in range(8):
        ada.observe(unsure, images=16)
    assert ada.p == 0.0  # down by 2 * 0.064 and clamped at 0
    for _ in range(400):
        ada.observe(confident, images=16)
    assert 0.99 < ada.p < 1.0  # clamped below 1


def test_lsgan_counts_real_above_the_midpoint_of_its_targets():
    objective = GANObjective(ObjectiveConfig(loss="lsgan", ada=True))
    assert objective.ada.boundary == 0.5
    logged = objective.ada.observe(torch.full((4, 1), 0.4), images=4)
    assert logged["ada_rt"].item() == -1.0


def test_controller_state_round_trips_mid_interval():
    a = AdaptiveAugment(p=0.1, kimg=1.0, interval=4)
    torch.manual_seed(0)
    scores = [torch.randn(8, 1) + 1 for _ in range(12)]
    for s in scores[:6]:
        a.observe(s, images=8)
    b = AdaptiveAugment(kimg=1.0, interval=4)
    b.load_state_dict(torch.load(_saved(a.state_dict()), weights_only=True))
    for s in scores[6:]:
        a.observe(s, images=8)
        b.observe(s, images=8)
    assert a.p == b.p and a.state_dict() == b.state_dict()


@pytest.mark.slow
def test_processes_share_one_p_under_torch_distributed(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}
    worker = str(root / "tests" / "losses" / "ada_ddp_worker.py")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc_per_node", "2", worker]
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ada p per rank: [(0.0, 0.032), (0.0, 0.032)]" in result.stdout


def _saved(state):
    import io

    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return buffer


def _d_against_held_out_reals(train, held_out, steps: int = 120) -> list[float]:
    """Train a tiny DCGAN discriminator (ADA on) to tell training images from held-out images
    of the same distribution: it can only do that by memorising the training set, which is
    what r_t measures (the paper's Fig. 1). Returns p after each step."""
    torch.manual_seed(0)
    model = build(
        {
            **TINY_MODELS["dcgan"],
            "channels": train.shape[1],
            "objective": {"ada": True, "ada_kimg": 2.0},  # p moves 0.032 per 4 steps of 16
        }
    )
    optimizer = torch.optim.Adam(model.D.parameters(), 2e-4, betas=(0.5, 0.999))
    p = []
    for _ in range(steps):
        real = train[torch.randint(0, len(train), (16,))]
        fake = held_out[torch.randint(0, len(held_out), (16,))]
        optimizer.zero_grad()
        model.objective.discriminator_losses(model.D, real, fake)["loss"].backward()
        optimizer.step()
        p.append(model.objective.ada.p)
    return p


def _assert_p_rises_on_16_images_and_stays_at_zero_on_all(source: str) -> None:
    # On 16 images p rises until D can no longer memorise them (r_t back at the target, here
    # at p ~ 0.1 for this tiny D); on the whole set D cannot memorise and p never leaves 0.
    train = load_dataset(DataConfig(source=source), 32).x
    held_out = load_dataset(DataConfig(source=source, split="test", limit=2000), 32).x
    train, held_out = (x.float() / 127.5 - 1 for x in (train, held_out))
    few = _d_against_held_out_reals(train[:16], held_out)
    assert sum(few[60:]) / len(few[60:]) > 0.03
    assert max(_d_against_held_out_reals(train, held_out, steps=60)) == 0.0


def test_p_rises_on_16_images_and_stays_at_zero_on_a_large_set():
    _assert_p_rises_on_16_images_and_stays_at_zero_on_all("digits")  # 1,437 training images


@pytest.mark.skipif(not fashion_mnist.DEBIAN_DIR.is_dir(), reason="dataset-fashion-mnist absent")
def test_p_rises_on_16_images_and_stays_at_zero_on_fashion_mnist(monkeypatch):
    monkeypatch.delenv(fashion_mnist.ENV_VAR, raising=False)
    _assert_p_rises_on_16_images_and_stays_at_zero_on_all("fashion-mnist")


def test_p_rises_in_a_tiny_dcgan_training_on_16_images_and_is_logged(tmp_path):
    config = tiny_run_config("dcgan", steps=24, run_dir=str(tmp_path / "r"), batch_size=16)
    config["data"] = {"source": "digits", "limit": 16}
    config["model"]["objective"] = {"ada": True, "ada_kimg": 0.5}
    run = artgan.train(config)
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    p = [entry["ada_p"] for entry in log]
    assert p[0] == 0.0 and p[-1] > 0.2 and all("ada_rt" in entry for entry in log)
    saved = load_training_state(resolve_checkpoint(run))["model_extra"]["objective"]["ada"]
    # 24 D steps are 6 whole intervals; the last may have moved p by 64 / 500 once more.
    assert abs(saved["p"] - p[-1]) <= 0.128 + 1e-6 and saved["steps"] == 0
    assert (run / "loss_curve.png").is_file()


# --- wiring and configuration -------------------------------------------------------------------


def test_every_image_d_sees_is_augmented():
    """Reals and fakes in D's phase, fakes (and reals for feature matching) in G's phase."""
    objective = GANObjective(ObjectiveConfig(ada=True, ada_p=0.5, feature_matching=1.0))
    seen = []

    class Spy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(()))

        def features(self, x):
            seen.append(x.detach())
            return x.flatten(1) * self.w

        def head(self, f):
            return f.mean(1, keepdim=True)

        def forward(self, x):
            return self.head(self.features(x))

    real, fake = images(seed=1), images(seed=2).requires_grad_(True)
    objective.discriminator_losses(Spy(), real, fake)
    objective.generator_losses(Spy(), fake, real=real)["loss"].backward()
    assert len(seen) == 4
    for x, original in zip(seen, [real, fake, fake, real]):
        assert not torch.equal(x, original.detach())
    assert fake.grad is not None and fake.grad.abs().sum() > 0  # through the augmentation to G


@pytest.mark.parametrize(
    "options, message",
    [
        ({"ada_p": 1.0}, "ada_p must be in"),
        ({"ada_p": -0.1}, "ada_p must be in"),
        ({"ada_target": 0.0}, "ada_target must be in"),
        ({"ada_target": 1.5}, "ada_target must be in"),
        ({"ada_kimg": 0}, "ada_kimg must be > 0"),
        ({"ada_interval": 0}, "ada_interval must be >= 1"),
        ({"ada": True, "diffaugment": "color"}, "use one"),
        ({"ada": True, "loss": "wgan-gp"}, "use bce, hinge or lsgan"),
        ({"ada": True, "loss": "wgan"}, "use bce, hinge or lsgan"),
    ],
)
def test_config_errors_are_one_line(options, message):
    with pytest.raises(ConfigError, match=message) as error:
        ObjectiveConfig(**options)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("family", ["mlp", "wavegan"])
def test_ada_on_non_image_data_is_an_error(family):
    model = {**TINY_MODELS[family], "objective": {"ada": True}}
    if family == "wavegan":
        model["objective"]["loss"] = "hinge"
    with pytest.raises(ConfigError, match="objective.ada augments images"):
        build(model)


@pytest.mark.parametrize("family", ["pix2pix", "inpaint"])
def test_ada_where_d_sees_a_second_input_is_an_error(family):
    model = {**TINY_MODELS[family], "objective": {"ada": True}}
    with pytest.raises(ConfigError, match=f"not supported by {family}"):
        build(model)


@pytest.mark.parametrize("family", ["vaegan", "srgan", "cyclegan", "mlp-cond"])
def test_other_image_families_train_with_ada_and_keep_p(family, tmp_path):
    data_from = "cyclegan" if family == "cyclegan" else "dcgan"  # digits, or two art styles
    config = tiny_run_config(data_from, steps=3, run_dir=str(tmp_path / "r"))
    config["model"] = {**TINY_MODELS[family], "objective": {"ada": True, "ada_interval": 2}}
    if family == "cyclegan":
        config["model"]["objective"]["loss"] = "lsgan"
    run = artgan.train(config)
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert "ada_p" in log[-1] and math.isfinite(log[-1]["ada_rt"])
    saved = load_training_state(resolve_checkpoint(run))["model_extra"]["objective"]["ada"]
    assert 0 <= saved["p"] < 1 and saved["steps"] in (0, 1)  # mid-interval sums are kept
