"""The shared checks every model family runs with a tiny config (DESIGN convention 10)."""

import pytest
import torch

from artgan.config import TrainConfig, from_dict
from artgan.models import Batch, build_model, model_class
from artgan.models.capabilities import (
    AudioDenoiser,
    Classifier,
    ImageToImage,
    Perturber,
    Translator,
    Upscaler,
)
from artgan.registry import MODELS
from artgan.training.checkpoint import load_model, model_meta, save_checkpoint
from tests.classifiers import TinyClassifier
from tests.conftest import TINY_MODELS

FAMILIES = sorted(TINY_MODELS)


def make(family: str, seed: int = 0):
    torch.manual_seed(seed)
    cfg = dict(TINY_MODELS[family])
    cls = model_class(cfg.pop("name"))
    model = cls(from_dict(cls.config_class, cfg))
    if isinstance(model, Perturber):  # trains against a classifier the trainer would attach
        c = model.config
        model.attach_target(TinyClassifier((c.channels, c.image_size, c.image_size), seed=seed))
    return model


def fake_batch(model, n: int = 8) -> Batch:
    if model.output_kind == "text":  # token windows (n, seq_len + 1)
        c = model.config
        return Batch(torch.randint(len(c.vocabulary), (n, c.seq_len + 1)))
    if isinstance(model, Classifier):  # labelled images, and unlabelled target ones (dann)
        x_b = torch.rand(n, *model.input_shape) * 2 - 1
        return Batch(torch.rand(n, *model.input_shape) * 2 - 1, torch.arange(n) % 10, x_b)
    shape = draw(model, 1, seed=0).shape[1:]
    if model.output_kind == "mesh":  # makes grids, learns from pictures of them
        shape = (model.config.channels, model.config.image_size, model.config.image_size)
    labels = torch.arange(n) % model.config.num_classes if model.conditional else None
    # Translators (cyclegan, pix2pix) train on a second, domain-B image per item; denoisers
    # (segan) on the clean sound beside the noisy one.
    paired = isinstance(model, (Translator, AudioDenoiser))
    x_b = torch.rand(n, *shape) * 2 - 1 if paired else None
    return Batch(torch.rand(n, *shape) * 2 - 1, labels, x_b)


def draw(model, n: int, seed: int):
    """``model.sample``; texts are drawn one character at a time, so tests keep them short;
    image-to-image families transform images they are given (here random ones from ``seed``;
    an upscaler's are image_size / scale, so that its outputs are image_size)."""
    if model.output_kind == "text":
        return model.sample(n, seed=seed, length=40)
    if isinstance(model, Classifier):  # the logits of random images from ``seed``
        g = torch.Generator().manual_seed(seed)
        return model.sample(n, seed=seed, images=torch.rand(n, *model.input_shape, generator=g))
    if isinstance(model, AudioDenoiser):  # noisy windows to clean
        g = torch.Generator().manual_seed(seed)
        return model.sample(n, seed=seed, noisy=torch.rand(n, 1, model.window, generator=g) - 0.5)
    if isinstance(model, ImageToImage):
        c = model.config
        side = c.image_size // model.scale if isinstance(model, Upscaler) else c.image_size
        g = torch.Generator().manual_seed(seed)
        images = torch.rand(n, c.channels, side, side, generator=g) * 2 - 1
        argument = "inputs" if isinstance(model, Upscaler) else "images"
        return model.sample(n, seed=seed, **{argument: images})
    return model.sample(n, seed=seed)


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.equal(a, b)


def test_every_registered_family_has_a_tiny_config():
    assert set(MODELS.names()) <= set(TINY_MODELS), "add the new family to TINY_MODELS"


@pytest.mark.parametrize("family", FAMILIES)
def test_sample_shape_and_range(family):
    model = make(family)
    x = draw(model, 5, seed=1)
    cfg = TINY_MODELS[family]
    if model.output_kind == "text":  # character ids, as a tensor like every family's
        assert x.shape == (5, 40) and x.dtype == torch.long
        assert 0 <= x.min() and x.max() < len(cfg["vocabulary"])
        texts = model.generate_text(5, seed=1, length=40)
        assert ["".join(cfg["vocabulary"][i] for i in row) for row in x.tolist()] == texts
        return
    if isinstance(model, AudioDenoiser):
        assert x.shape == (5, 1, model.window)
        assert x.min() >= -1 and x.max() <= 1
    elif model.output_kind == "audio":
        assert x.shape == (5, 1, model.config.clip_length)
        assert x.min() >= -1 and x.max() <= 1
    elif isinstance(model, Classifier):  # logits, one row per image
        assert x.shape == (5, model.config.num_classes)
    elif model.output_kind == "mesh":  # voxel grids: opacity and RGB in [0, 1]
        side = cfg["image_size"]
        assert x.shape == (5, 4, side, side, side)
        assert x.min() >= 0 and x.max() <= 1
    elif "data_shape" in cfg:
        assert x.shape == (5, *cfg["data_shape"])
    else:
        assert x.shape == (5, cfg["channels"], cfg["image_size"], cfg["image_size"])
        assert x.min() >= -1 and x.max() <= 1
    assert torch.isfinite(x).all()


@pytest.mark.parametrize("family", FAMILIES)
def test_same_seed_same_samples(family):
    model = make(family)
    assert same(draw(model, 4, seed=3), draw(model, 4, seed=3))
    assert not same(draw(model, 4, seed=3), draw(model, 4, seed=4))


@pytest.mark.parametrize("family", FAMILIES)
def test_sampling_gives_every_part_back_its_own_training_mode(family):
    # Sampling runs in eval mode; afterwards a model whose parts were in different modes (a
    # trainer may freeze one of them) must find each part as it left it.
    model = make(family)
    model.train()
    parts = [m for m in model.children()]
    parts[-1].eval()
    before = [m.training for m in model.modules()]
    draw(model, 2, seed=0)
    assert [m.training for m in model.modules()] == before


@pytest.mark.parametrize("family", FAMILIES)
def test_one_step_of_every_phase_changes_weights_without_nan(family):
    model = make(family)
    batch = fake_batch(model)
    for phase in model.phases(TrainConfig()):
        params = [p for name in phase.modules for p in getattr(model, name).parameters()]
        before = [p.detach().clone() for p in params]
        opt = torch.optim.Adam(params, lr=1e-3)
        losses = model.train_step(phase.name, batch, 0)
        assert torch.isfinite(losses["loss"])
        losses["loss"].backward()
        opt.step()
        changed = sum(not torch.equal(a, b.detach()) for a, b in zip(before, params))
        assert changed > 0, f"phase {phase.name} changed no weights"
        assert all(torch.isfinite(p).all() for p in params)


@pytest.mark.parametrize("family", FAMILIES)
def test_save_load_round_trip_gives_identical_outputs(family, tmp_path):
    model = make(family)
    model.eval()
    meta = model_meta(model, {"source": "test"}, step=1, run_id="t")
    save_checkpoint(tmp_path, 1, model, {}, {"step": 1}, meta, keep=1)
    loaded = load_model(tmp_path)
    assert type(loaded) is type(model)
    assert same(draw(model, 4, seed=9), draw(loaded, 4, seed=9))


@pytest.mark.parametrize("family", FAMILIES)
def test_build_model_from_config_is_deterministic_by_torch_seed(family):
    a, b = make(family, seed=5), make(family, seed=5)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)
    assert build_model(a.config).name == TINY_MODELS[family]["name"]
