"""What a family can do is declared by the capability types it inherits, callers ask for a
capability (never a family name or an attribute), and a sampling option a model does not take
is an error rather than ignored."""

import re
from pathlib import Path

import pytest
import torch

import artgan
from artgan.cli.main import main
from artgan.config import from_dict
from artgan.errors import ConfigError
from artgan.models import families_with, model_class
from artgan.models.capabilities import (
    AudioDenoiser,
    AudioGenerator,
    Classifier,
    DensityModel,
    Encoder,
    ImageToImage,
    Inpainter,
    LatentGenerator,
    Perturber,
    TextGenerator,
    Translator,
    Upscaler,
    VolumeGenerator,
)
from artgan.registry import MODELS
from artgan.training.checkpoint import model_meta, save_checkpoint
from tests.conftest import TINY_MODELS

CAPABILITIES = (
    LatentGenerator,
    ImageToImage,
    Translator,
    Upscaler,
    Inpainter,
    Encoder,
    DensityModel,
    TextGenerator,
    AudioGenerator,
    Classifier,
    VolumeGenerator,
    AudioDenoiser,
    Perturber,
)
# What each family promises; a new family adds its row (the test below lists what is missing).
DECLARED = {
    "advgan": {Perturber, ImageToImage},
    "charrnn": {TextGenerator},
    "classifier": {Classifier},
    "cyclegan": {Translator, ImageToImage},
    "dann": {Classifier},
    "dcgan": {LatentGenerator},
    "fastgan": {LatentGenerator},
    "inpaint": {Inpainter, ImageToImage},
    "lama": {Inpainter, ImageToImage},
    "mlp": {LatentGenerator},
    "pix2pix": {Translator, ImageToImage},
    "resnet": {LatentGenerator},
    "segan": {AudioDenoiser},
    "srgan": {Upscaler, ImageToImage},
    "srresnet": {Upscaler, ImageToImage},
    "vae": {LatentGenerator, Encoder, DensityModel},
    "vaegan": {LatentGenerator, Encoder},
    "voxelgan": {LatentGenerator, VolumeGenerator},
    "wavegan": {LatentGenerator, AudioGenerator},
}


def make(family: str):
    cfg = dict(TINY_MODELS[family])
    cls = model_class(cfg.pop("name"))
    return cls(from_dict(cls.config_class, cfg))


def save_untrained(model, folder: Path) -> Path:
    """``model`` as a checkpoint folder the commands can read (no training)."""
    meta = model_meta(model, {"source": "test"}, step=1, run_id="t")
    save_checkpoint(folder, 1, model, {}, {"step": 1}, meta, keep=1)
    return folder


@pytest.mark.parametrize("family", MODELS.names())
def test_each_family_declares_its_capabilities(family):
    assert family in DECLARED, f"add {family} to DECLARED"
    cls = model_class(family)
    assert {c for c in CAPABILITIES if issubclass(cls, c)} == DECLARED[family]


def test_a_registry_lookup_names_the_families_with_a_capability():
    assert families_with(Upscaler) == ["srgan", "srresnet"]
    assert families_with(Translator) == ["cyclegan", "pix2pix"]


def test_an_option_the_model_does_not_take_is_an_error():
    sr = make("srresnet")
    assert sr.sample_options() == ["inputs"]
    with pytest.raises(ConfigError, match="srresnet does not take truncation.*options are: inputs"):
        sr.sample(1, seed=0, truncation=0.5)
    gan = make("dcgan")
    assert gan.sample(2, seed=0, truncation=0.5).shape[0] == 2
    with pytest.raises(ConfigError, match="does not take prime"):
        gan.sample(2, seed=0, prime="The ")


def test_text_models_sample_ids_and_generate_strings():
    rnn = make("charrnn")
    ids = rnn.sample(2, seed=0, prime="ab", length=5)
    assert isinstance(ids, torch.Tensor) and ids.shape == (2, 7)
    texts = rnn.generate_text(2, seed=0, prime="ab", length=5)
    assert all(isinstance(t, str) and t.startswith("ab") and len(t) == 7 for t in texts)


def test_truncation_on_a_super_resolution_run_is_one_clear_cli_error(tmp_path, capsys):
    save_untrained(make("srresnet"), tmp_path)
    args = ["sample", str(tmp_path), "--n", "1", "--out", str(tmp_path / "x.png")]
    assert main([*args, "--truncation", "0.7"]) == 2
    err = capsys.readouterr().err.strip()
    assert "srresnet does not take truncation" in err and len(err.splitlines()) == 1
    assert main(args) == 2  # an upscaler invents no images to sample: it names the command
    err = capsys.readouterr().err.strip()
    assert "artgan upscale RUN" in err and len(err.splitlines()) == 1


SOURCE = Path(artgan.__file__).parent


def test_no_family_names_or_attribute_probes_decide_capabilities():
    """Callers ask ``isinstance(model, Upscaler)``; they never compare a family's name or probe
    a model for an attribute."""
    offenders = []
    patterns = [
        r"model\.name\s*(==|!=|in\b|not in\b)",
        r"(hasattr|getattr)\(model,\s*\"(task|conditional|preview_grid|latents|z_dim|reconstruct"
        r"|meta|checkpoint_dir)",
        r"model\.(meta|checkpoint_dir)\b",  # a loaded model's checkpoint is model.origin
        r"_FAMILIES\s*=|NOT_GENERATORS",
    ]
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            offenders += [
                f"{path.relative_to(SOURCE)}: {m.group(0)}" for m in re.finditer(pattern, text)
            ]
    assert not offenders, offenders


def test_translators_transform_given_images_and_invent_none():
    for family in ("cyclegan", "pix2pix"):
        model = make(family)
        with pytest.raises(ConfigError, match=f"{family} translates images.*artgan stylize"):
            model.sample(2, seed=0)
        c = model.config
        images = torch.rand(2, c.channels, c.image_size, c.image_size) * 2 - 1
        assert model.sample(2, seed=0, images=images).shape == images.shape


def test_upscalers_and_inpainters_transform_given_images_and_invent_none():
    """No procedural stand-ins: sampling without images names the command for files."""
    for family, message in (
        ("srresnet", "srresnet upscales images: pass inputs=.*artgan upscale"),
        ("srgan", "srgan upscales images: pass inputs=.*artgan upscale"),
        ("inpaint", "inpaint fills holes in images: pass images=.*artgan inpaint"),
        ("lama", "lama fills holes in images: pass images=.*artgan inpaint"),
    ):
        model = make(family)
        with pytest.raises(ConfigError, match=message):
            model.sample(2, seed=0)
    sr, c = make("srresnet"), TINY_MODELS["srresnet"]
    lr = torch.rand(2, c["channels"], 8, 8) * 2 - 1
    assert sr.sample(2, seed=0, inputs=lr).shape == (
        2,
        c["channels"],
        8 * c["scale"],
        8 * c["scale"],
    )
    inpaint = make("inpaint")
    images = torch.rand(2, 3, 32, 32) * 2 - 1
    a, b = inpaint.sample(2, seed=4, images=images), inpaint.sample(2, seed=4, images=images)
    assert a.shape == images.shape and torch.equal(a, b)
