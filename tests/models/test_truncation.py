"""The truncation trick is bounded: a tiny or invalid t is one clear error, a small valid t
returns at once, and the usual values draw exactly what plain resampling draws. Each latent
family truncates by the method it declares, and says when truncation was measured not to help
(issue 16 item 4, bench/truncation.py)."""

import pytest
import torch

from artgan.cli.main import main
from artgan.errors import ConfigError
from artgan.models import model_class
from artgan.models.capabilities import LatentGenerator
from artgan.models.truncation import MIN_TRUNCATION, TRUNCATION_METHODS, truncated_normal
from artgan.registry import MODELS
from artgan.sample import truncation_note
from tests.models.test_capabilities import make, save_untrained


def unbounded(n, dim, seed, t):
    """The resampling loop as it was before it was bounded (never returns for t -> 0)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, dim, generator=g)
    outside = z.abs() > t
    while outside.any():
        z[outside] = torch.randn(int(outside.sum()), generator=g)
        outside = z.abs() > t
    return z


@pytest.mark.parametrize("t", [1e-9, 0.01, -0.5, float("nan"), float("inf")])
def test_invalid_or_tiny_truncation_is_refused(t):
    with pytest.raises(ConfigError, match="truncation"):
        truncated_normal(4, 8, torch.Generator().manual_seed(0), t)


def test_smallest_truncation_returns_inside_the_bound():
    # The redraws are bounded (MAX_REDRAWS), so this returns; it once looped for ever.
    z = truncated_normal(256, 128, torch.Generator().manual_seed(0), MIN_TRUNCATION)
    assert z.abs().max() <= MIN_TRUNCATION


@pytest.mark.parametrize("t", [0.5, 0.7, 1.0, 2.0])
def test_usual_truncation_draws_what_plain_resampling_draws(t):
    got = truncated_normal(64, 32, torch.Generator().manual_seed(3), t)
    assert torch.equal(got, unbounded(64, 32, 3, t))


def test_no_truncation_is_plain_normal():
    g = torch.Generator().manual_seed(1)
    expected = torch.randn(5, 7, generator=torch.Generator().manual_seed(1))
    assert torch.equal(truncated_normal(5, 7, g, 0.0), expected)


# --- per family (issue 16 item 4): the method that fits, and what was measured -------------

LATENT_FAMILIES = [f for f in MODELS.names() if issubclass(model_class(f), LatentGenerator)]


def test_scale_narrows_the_prior_towards_its_mean_and_refuses_widening():
    g = torch.Generator
    z = truncated_normal(6, 4, g().manual_seed(2), 0.0)
    assert torch.equal(truncated_normal(6, 4, g().manual_seed(2), 0.5, "scale"), 0.5 * z)
    with pytest.raises(ConfigError, match="truncation \\(scale\\) must be from 0"):
        truncated_normal(6, 4, g().manual_seed(2), 1.5, "scale")
    with pytest.raises(ConfigError, match="unknown truncation method"):
        truncated_normal(6, 4, g().manual_seed(2), 0.5, "w-average")


@pytest.mark.parametrize("family", LATENT_FAMILIES)
def test_each_latent_family_truncates_by_its_declared_method(family):
    model = make(family)
    assert model.truncation_method in TRUNCATION_METHODS
    assert model.truncation_helps in (True, False, None)
    plain = model.latents(256, seed=3)
    narrowed = model.latents(256, seed=3, truncation=0.5)
    if model.truncation_method == "scale":
        assert torch.allclose(narrowed, 0.5 * plain)
    else:  # resample: every component inside [-t, t], not a shrunken copy
        assert narrowed.abs().max() <= 0.5 and plain.abs().max() > 0.5
        assert not torch.allclose(narrowed, 0.5 * plain)


def test_families_measured_not_to_help_say_so_and_truncation_stays_off_by_default(tmp_path):
    # bench/truncation.py: the demo's dcgan, the ring8 mlp and an art vae got worse at every T
    assert model_class("dcgan").truncation_helps is False
    assert model_class("mlp").truncation_helps is False
    assert model_class("resnet").truncation_helps is False
    assert model_class("vae").truncation_helps is False
    assert model_class("vae").truncation_method == "scale"  # a prior temperature
    dcgan = make("dcgan")
    assert "made dcgan samples worse" in truncation_note(dcgan, 0.7)
    assert truncation_note(dcgan, 0) is None and truncation_note(dcgan, None) is None
    assert "not measured for newgan" in truncation_note(Unmeasured(), 0.7)


class Unmeasured(LatentGenerator):
    name = "newgan"  # a family nobody has run bench/truncation.py on yet


def test_sample_with_truncation_prints_the_note_once(tmp_path, capsys):
    save_untrained(make("dcgan"), tmp_path)
    args = ["sample", str(tmp_path), "--n", "2", "--out", str(tmp_path / "x.png")]
    assert main([*args, "--truncation", "0.7"]) == 0
    err = capsys.readouterr().err
    assert err.count("truncation made dcgan samples worse") == 1
    assert main(args) == 0
    assert "truncation" not in capsys.readouterr().err
