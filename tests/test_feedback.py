"""The feedback loop's library side (issue 17 item 3): verdicts appended to RUN/feedback.jsonl
and read back tolerantly, a preference fitted on them, and sampling steered by it while keeping
variety; with no feedback, sampling is unchanged."""

import json

import pytest
import torch

from artgan import feedback
from artgan.config import from_dict
from artgan.errors import ConfigError
from artgan.models import model_class
from artgan.models.base import make_generator
from artgan.models.capabilities import LatentGenerator
from artgan.models.truncation import truncated_normal
from artgan.run_folder import Run
from tests.conftest import TINY_MODELS

Z_DIM = 8


class Latents(LatentGenerator):
    """Just a prior: the steering works on latents, before any generator."""

    name = "latents"

    @property
    def z_dim(self):
        return Z_DIM

    def latents(self, n, seed=None, generator=None, truncation=0.0):
        return truncated_normal(n, Z_DIM, make_generator(seed, generator), truncation)


def synthetic_likes(n: int, seed: int = 0) -> list[dict]:
    """A simulated user who likes exactly the latents with z[0] > 0."""
    z = Latents().latents(n, seed)
    return [{"latent": row.tolist(), "liked": bool(row[0] > 0)} for row in z]


def test_records_round_trip_through_the_run_folder(tmp_path):
    run = Run(tmp_path / "run")
    written = feedback.record(run, torch.arange(4.0), True, classes=[0.5, 0.5], seed=3, index=1)
    feedback.record(run, [0.0, -1.0, 2.0, 0.25], False)
    records, skipped = feedback.load(run)
    assert skipped == 0
    assert records[0] == written
    assert records[0]["latent"] == [0.0, 1.0, 2.0, 3.0]
    assert (records[0]["classes"], records[0]["seed"], records[0]["index"]) == ([0.5, 0.5], 3, 1)
    assert records[1]["liked"] is False and records[1]["classes"] is None
    assert feedback.load(run.feedback_file) == (records, 0)  # the file itself, too


def test_a_torn_last_line_is_skipped_and_counted_and_the_next_record_kept(tmp_path):
    run = Run(tmp_path)
    feedback.record(run, [1.0, 2.0], True)
    with open(run.feedback_file, "a", encoding="utf-8") as handle:
        handle.write('{"latent": [3.0, 4')  # a power cut mid-line
    feedback.record(run, [5.0, 6.0], False)
    records, skipped = feedback.load(run)
    assert [r["latent"] for r in records] == [[1.0, 2.0], [5.0, 6.0]]
    assert skipped == 1


def test_lines_that_are_not_verdicts_are_skipped(tmp_path):
    path = tmp_path / "feedback.jsonl"
    lines = [{"latent": [1.0], "liked": "yes"}, {"liked": True}, {"latent": [], "liked": True}]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    assert feedback.load(path) == ([], 3)


def test_no_feedback_leaves_sampling_unchanged():
    assert feedback.fit([]) is None
    model = Latents()
    same = feedback.steered_latents(model, 16, 5, None, truncation=1.5)
    assert torch.equal(same, model.latents(16, 5, truncation=1.5))


def test_a_preference_steers_towards_the_likes_and_keeps_variety():
    preference = feedback.fit(synthetic_likes(200))
    assert preference.weight[0] > preference.weight[1:].abs().max()  # it found the direction
    model = Latents()
    plain = model.latents(256, 1)
    steered = feedback.steered_latents(model, 256, 1, preference)
    assert (plain[:, 0] > 0).float().mean() < 0.6
    assert (steered[:, 0] > 0).float().mean() > 0.75  # 0.83 at the defaults (seed 1)
    assert len({tuple(row.tolist()) for row in steered}) == 256  # no latent repeated
    # The other coordinates keep the prior's spread (not collapsed onto one point)
    assert steered[:, 1:].std(dim=0).min() > 0.7
    again = feedback.steered_latents(model, 256, 1, preference)
    assert torch.equal(steered, again)  # deterministic by seed


def test_only_likes_are_contrasted_with_the_prior():
    likes = [r for r in synthetic_likes(200) if r["liked"]]
    preference = feedback.fit(likes)
    steered = feedback.steered_latents(Latents(), 128, 2, preference)
    # weaker than likes against dislikes (half the prior is liked too): 0.69 here
    assert (steered[:, 0] > 0).float().mean() > 0.6


def test_a_higher_temperature_keeps_more_variety():
    preference = feedback.fit(synthetic_likes(200))
    model = Latents()
    sharp = feedback.steered_latents(model, 256, 3, preference, temperature=0.5)
    flat = feedback.steered_latents(model, 256, 3, preference, temperature=8.0)
    assert (flat[:, 0] > 0).float().mean() < (sharp[:, 0] > 0).float().mean()


def test_feedback_from_a_model_with_other_latents_is_refused():
    preference = feedback.fit([{"latent": [1.0, 2.0], "liked": True}])
    with pytest.raises(ConfigError, match="latents of size 2.*has 8: it belongs to another run"):
        feedback.steered_latents(Latents(), 4, 0, preference)


def test_a_conditional_model_keeps_its_class_request_when_steered():
    config = dict(TINY_MODELS["dcgan-cond"])
    family = model_class(config.pop("name"))
    model = family(from_dict(family.config_class, config)).eval()  # batch norm as sampling has it
    likes = [{"latent": z.tolist(), "liked": bool(z[0] > 0)} for z in model.latents(60, 4)]
    preference = feedback.fit(likes)
    options = {"classes": "3:0.5,7:0.5", "truncation": 1.0}
    z = feedback.steered_latents(model, 4, 6, preference, truncation=1.0)
    with torch.no_grad():
        expected = model.generate(z, model.labels("3:0.5,7:0.5", 4)).float().cpu()
    got = feedback.sample_preferred(model, 4, 6, preference, options)
    assert torch.allclose(got, expected, atol=1e-5)
    unsteered = feedback.sample_preferred(model, 4, 6, None, options)
    assert torch.equal(unsteered, model.sample(4, seed=6, **options))


class Painter(Latents):
    """Draws 4 x 4 images whose red channel is lit where |z[0]| > 1: a liked look that no
    straight line in latent space separates (both tails of z[0])."""

    name = "painter"
    conditional = False
    training = False  # what generate_from_latents saves and restores

    def train(self, mode=True):
        return self

    def eval(self):
        return self

    def generate(self, z, labels=None):
        red = (z[:, 0].abs() > 1).float() * 2 - 1  # (N,) -1 or 1
        images = torch.full((len(z), 3, 4, 4), -1.0)
        images[:, 0] = red[:, None, None]
        images[:, 1] = torch.tanh(z[:, 1])[:, None, None]  # variety the user does not care for
        return images


class MeanColour:
    """A stand-in feature extractor: the mean of each colour channel, (N, 3)."""

    def __call__(self, images):
        return images.mean(dim=(2, 3))


def red_likes(model, n: int, seed: int) -> list[dict]:
    z = model.latents(n, seed)
    red = model.generate(z)[:, 0, 0, 0] > 0
    return [{"latent": row.tolist(), "liked": bool(r)} for row, r in zip(z, red)]


def red_share(model, z) -> float:
    return float((model.generate(z)[:, 0, 0, 0] > 0).float().mean())


def test_a_preference_on_image_features_learns_what_the_latent_cannot(monkeypatch):
    monkeypatch.setattr(feedback, "feature_extractor", lambda name: MeanColour())
    model = Painter()
    records = red_likes(model, 64, 0)  # four pages; about a third of them red
    on_latent = feedback.fit(records)
    on_images = feedback.fit(records, model=model, features="mean-colour")
    assert on_images.reads_images and on_images.z_dim == Z_DIM
    assert red_share(model, model.latents(256, 1)) < 0.4
    latent_share = red_share(model, feedback.steered_latents(model, 256, 1, on_latent))
    image_share = red_share(model, feedback.steered_latents(model, 256, 1, on_images))
    assert latent_share < 0.5 and image_share > 0.85  # 0.35 and 0.90 (seed 1)
    steered = feedback.steered_latents(model, 256, 1, on_images)
    # both tails of z[0] are kept: the preference is on the look, not one latent direction
    assert (steered[:, 0] > 1).float().mean() > 0.3 and (steered[:, 0] < -1).float().mean() > 0.3
    assert steered[:, 1:].std(dim=0).min() > 0.7  # the rest keeps the prior's spread
    images = feedback.sample_preferred(model, 16, 2, on_images)
    assert torch.equal(images, model.generate(feedback.steered_latents(model, 16, 2, on_images)))


def test_a_preference_on_image_features_needs_the_model_and_its_latent_size():
    records = [{"latent": [1.0, 2.0], "liked": True}]
    with pytest.raises(ConfigError, match="needs the model"):
        feedback.fit(records, features="efficientnet-lite0")
    with pytest.raises(ConfigError, match="latents of size 2.*has 8"):
        feedback.fit(records, model=Painter(), features="efficientnet-lite0")
