"""The feedback loop's library side (issue 17 item 3): verdicts appended to RUN/feedback.jsonl
and read back tolerantly, a preference fitted on them, and sampling steered by it while keeping
variety; with no feedback, sampling is unchanged."""

import json

import pytest
import torch

from artgan import feedback
from artgan.config import from_dict
from artgan.errors import ConfigError
from artgan.feedback import LATENT_STEERING, Steering
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
    assert (steered[:, 0] > 0).float().mean() > 0.75
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
    sharp = feedback.steered_latents(model, 256, 3, preference, 0.0, Steering(temperature=0.5))
    flat = feedback.steered_latents(model, 256, 3, preference, 0.0, Steering(temperature=8.0))
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


class PaintedImages(Painter):
    """The Painter as the steering sees a real image model (``output_kind``)."""

    output_kind = "image"


class RarePainter(PaintedImages):
    """Red where |z[0]| > 2: 4.6 % of the prior, a look the model seldom draws (as the demo's
    DCGAN seldom draws some styles)."""

    def generate(self, z, labels=None):
        images = super().generate(z, labels)
        images[:, 0] = ((z[:, 0].abs() > 2).float() * 2 - 1)[:, None, None]
        return images


class CountingColour(MeanColour):
    """MeanColour that counts the images it was shown."""

    def __init__(self):
        self.seen = 0

    def __call__(self, images):
        self.seen += len(images)
        return super().__call__(images)


def test_image_models_are_steered_by_image_features_and_others_by_the_latent(monkeypatch):
    monkeypatch.setattr(feedback, "feature_extractor", lambda name: MeanColour())
    records = red_likes(Painter(), 64, 0)
    on_images = feedback.preference_for(records, PaintedImages())
    assert on_images.reads_images and on_images.features == feedback.IMAGE_FEATURES
    assert not feedback.preference_for(records, Latents()).reads_images  # draws no images
    assert not feedback.preference_for(records, PaintedImages(), LATENT_STEERING).reads_images
    assert feedback.preference_for([], PaintedImages()) is None
    with pytest.raises(ConfigError, match="latents of size 2.*has 8"):
        feedback.preference_for([{"latent": [1.0, 2.0], "liked": True}], PaintedImages())


def test_a_rarely_drawn_look_is_reached_by_drawing_proposals_until_enough_look_liked(
    monkeypatch,
):
    monkeypatch.setattr(feedback, "feature_extractor", lambda name: MeanColour())
    model = RarePainter()
    records = red_likes(model, 400, 0)  # about 18 likes among 400
    preference = feedback.preference_for(records, model)
    assert red_share(model, model.latents(64, 1)) < 0.1
    # the first default (8 proposals per sample, weights p): at most 8 x 4.6 % can be red
    first = feedback.steered_latents(model, 64, 1, preference, 0.0, LATENT_STEERING)
    assert red_share(model, first) < 0.5
    steered = feedback.steered_latents(model, 64, 1, preference)
    assert red_share(model, steered) > 0.9
    # variety kept: both tails of z[0], the rest of the latent as spread as the prior
    assert (steered[:, 0] > 2).float().mean() > 0.3 and (steered[:, 0] < -2).float().mean() > 0.3
    assert steered[:, 1:].std(dim=0).min() > 0.7
    assert len({tuple(row.tolist()) for row in steered}) == 64
    assert torch.equal(steered, feedback.steered_latents(model, 64, 1, preference))


def test_drawing_stops_once_enough_proposals_look_liked(monkeypatch):
    counter = CountingColour()
    monkeypatch.setattr(feedback, "feature_extractor", lambda name: counter)
    model = PaintedImages()  # red on about a third of the prior
    preference = feedback.preference_for(red_likes(model, 64, 0), model)
    counter.seen = 0
    feedback.steered_latents(model, 16, 1, preference, 0.0, Steering(enough=2))
    assert counter.seen == 2 * 4 * 16  # two rounds of 4 per sample had 2 x 16 liked ones
    counter.seen = 0
    feedback.steered_latents(model, 16, 1, preference, 0.0, Steering(enough=0))
    assert counter.seen == 32 * 16  # never stopping: every proposal


def test_a_refit_featurises_only_the_new_verdicts(monkeypatch):
    counter = CountingColour()
    monkeypatch.setattr(feedback, "feature_extractor", lambda name: counter)
    model = PaintedImages()
    records = red_likes(model, 48, 0)
    feedback.preference_for(records[:32], model)
    assert counter.seen == 32
    again = feedback.preference_for(records, model)
    assert counter.seen == 48  # the 16 of the new page only
    fresh = feedback.preference_for(records, PaintedImages())  # another model: no memo
    assert counter.seen == 96 and torch.allclose(again.weight, fresh.weight)


FIRST_VERSION_LINES = [  # lines as the first feedback.record wrote them (df030dc), and a bare one
    '{"latent": [2.5, 0.8, -0.3, 0.0, 1.0, 0.2, -1.1, 0.4], "liked": true, "classes": null, '
    '"seed": 9, "index": 0, "time": "2026-12-06T16:40:02+00:00"}',
    '{"latent": [0.1, 0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], "liked": false, "classes": null, '
    '"seed": 9, "index": 1, "time": "2026-12-06T16:40:05+00:00"}',
    '{"latent": [-2.4, -0.8, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], "liked": true}',
]


def test_feedback_files_of_the_first_version_still_load_and_steer(tmp_path, monkeypatch):
    monkeypatch.setattr(feedback, "feature_extractor", lambda name: MeanColour())
    path = tmp_path / "feedback.jsonl"
    path.write_text("\n".join(FIRST_VERSION_LINES) + "\n", encoding="utf-8")
    model = PaintedImages()
    preference, records = feedback.load_preference(path, model)
    assert len(records) == 3 and preference.reads_images
    steered = feedback.steered_latents(model, 16, 0, preference)
    assert red_share(model, steered) > 0.8  # the two likes are red, the dislike is not


def test_the_default_image_features_are_efficientnet_lite0():
    config = dict(TINY_MODELS["dcgan"])
    family = model_class(config.pop("name"))
    model = family(from_dict(family.config_class, config)).eval()
    records = [{"latent": z.tolist(), "liked": i % 2 == 0} for i, z in enumerate(model.latents(4))]
    preference = feedback.preference_for(records, model)
    assert preference.features == "efficientnet-lite0" and preference.weight.numel() == 1280
    assert feedback.steered_latents(model, 2, 0, preference).shape == (2, model.z_dim)


def test_a_conditional_runs_verdicts_are_featurised_with_their_class_rows(monkeypatch):
    counter = CountingColour()
    monkeypatch.setattr(feedback, "feature_extractor", lambda name: counter)
    config = dict(TINY_MODELS["dcgan-cond"])
    family = model_class(config.pop("name"))
    model = family(from_dict(family.config_class, config)).eval()
    z, rows = model.latents(6, 4), model.labels("3:0.5,7:0.5", 6)
    records = [
        {"latent": z[i].tolist(), "liked": i % 2 == 0, "classes": rows[i].tolist()}
        for i in range(6)
    ]
    preference = feedback.preference_for(records, model)
    assert preference.reads_images and counter.seen == 6
    with torch.no_grad():
        drawn = MeanColour()(model.generate(z, rows).float())
    assert torch.allclose(feedback.recorded_features(model, z, rows, "x"), drawn, atol=1e-5)
    steered = feedback.steered_latents(model, 4, 6, preference, classes="3:0.5,7:0.5")
    assert steered.shape == (4, model.z_dim)
