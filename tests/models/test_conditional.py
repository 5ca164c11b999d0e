"""Class-conditional GANs: label requests, blends, the conditioning layers, and a trained tiny
model that draws the class it is asked for."""

import pytest
import torch

import artgan
from artgan.config import from_dict
from artgan.errors import ArtganError, ConfigError, UnknownNameError
from artgan.models import DataSpec, model_class
from artgan.models.conditioning import class_row, parse_class_spec, resolve_labels
from artgan.nn.conditional import ConditionalBatchNorm2d, ProjectionHead
from tests.conftest import TINY_MODELS, tiny_run_config

NAMES = ["mondrian", "rothko", "kandinsky"]


def tiny(family: str, **changes):
    cfg = {**TINY_MODELS[family], **changes}
    cls = model_class(cfg.pop("name"))
    return cls(from_dict(cls.config_class, cfg))


def config(**changes):
    cfg = {"conditional": True, "num_classes": 3, "class_names": NAMES, **changes}
    return from_dict(model_class("dcgan").config_class, cfg)


def test_a_name_gives_a_one_hot_row_and_names_are_case_insensitive():
    assert torch.equal(class_row("rothko", NAMES), torch.tensor([0.0, 1.0, 0.0]))
    assert torch.equal(class_row("Kandinsky", NAMES), torch.tensor([0.0, 0.0, 1.0]))
    assert torch.equal(class_row(0, NAMES), torch.tensor([1.0, 0.0, 0.0]))


def test_a_blend_is_a_normalised_mixture():
    assert parse_class_spec("mondrian:0.5,rothko:0.5") == [("mondrian", 0.5), ("rothko", 0.5)]
    torch.testing.assert_close(
        class_row("mondrian:1,rothko:3", NAMES), torch.tensor([0.25, 0.75, 0])
    )
    torch.testing.assert_close(
        class_row({"rothko": 2, "kandinsky": 2}, NAMES), torch.tensor([0, 0.5, 0.5])
    )


def test_unknown_class_lists_the_valid_ones():
    with pytest.raises(
        UnknownNameError, match="unknown class 'monet'; valid classes: mondrian, rothko, kandinsky"
    ):
        class_row("monet", NAMES)
    with pytest.raises(ConfigError, match="out of range"):
        class_row(7, NAMES)
    with pytest.raises(ConfigError, match="weight"):
        class_row("mondrian:lots", NAMES)
    with pytest.raises(ConfigError, match=">= 0"):
        class_row("mondrian:-1,rothko:2", NAMES)


def test_label_requests_resolve_to_rows_per_sample():
    c = config()
    assert torch.equal(resolve_labels(c, None, 4).argmax(1), torch.tensor([0, 1, 2, 0]))
    assert torch.equal(resolve_labels(c, "rothko", 2), torch.tensor([[0.0, 1, 0], [0, 1, 0]]))
    assert torch.equal(resolve_labels(c, ["rothko", 2], 2).argmax(1), torch.tensor([1, 2]))
    assert torch.equal(resolve_labels(c, torch.tensor([2, 0]), 2).argmax(1), torch.tensor([2, 0]))
    with pytest.raises(ConfigError, match="3 class requests for 2 samples"):
        resolve_labels(c, ["rothko", 1, 2], 2)


NOT_FINITE = [
    "mondrian:nan",
    "rothko:inf",
    {"rothko": float("nan")},
    {"rothko": float("inf"), "mondrian": 1},
]


@pytest.mark.parametrize("weights", NOT_FINITE, ids=str)
def test_a_class_weight_that_is_not_finite_is_refused(weights):
    """`--class 1:nan` was accepted, and a NaN weight makes every sample NaN (issue 14)."""
    with pytest.raises(ConfigError, match="finite"):
        class_row(weights, NAMES)


def test_label_rows_that_are_not_finite_or_negative_are_refused():
    for rows in (torch.tensor([float("nan"), 1, 0]), torch.tensor([[0.5, -0.5, 1.0]])):
        with pytest.raises(ConfigError, match="finite"):
            resolve_labels(config(), rows, 1)


def test_an_unconditional_model_refuses_a_class():
    with pytest.raises(ConfigError, match="not class-conditional"):
        tiny("dcgan").sample(2, seed=0, classes="3")


@pytest.mark.parametrize("bad", [{"cond_d": "vote"}, {"g_norm": "instance"}, {"num_classes": 1}])
def test_bad_conditional_configs_are_refused(bad):
    with pytest.raises(ConfigError):
        config(**({"num_classes": 1, "class_names": ["a"]} if "num_classes" in bad else bad))


def test_conditional_needs_labelled_data_and_the_same_classes_on_resume():
    c = from_dict(model_class("dcgan").config_class, {"conditional": True})
    with pytest.raises(ConfigError, match="labelled data"):
        c.with_data(DataSpec(shape=(3, 32, 32)))
    c.with_data(DataSpec(shape=(3, 32, 32), num_classes=3, class_names=NAMES))
    assert c.num_classes == 3 and c.class_names == NAMES
    with pytest.raises(ConfigError, match="built for the classes"):
        c.with_data(DataSpec(shape=(3, 32, 32), num_classes=2, class_names=["a", "b"]))


def test_conditional_batch_norm_of_a_blend_mixes_the_class_parameters():
    torch.manual_seed(0)
    norm = ConditionalBatchNorm2d(4, 3)
    torch.nn.init.normal_(norm.gamma.weight)
    torch.nn.init.normal_(norm.beta.weight)
    norm.eval()
    x = torch.randn(2, 4, 5, 5)
    a, b = torch.tensor([[1.0, 0, 0]] * 2), torch.tensor([[0.0, 1, 0]] * 2)
    blend = norm(x, 0.3 * a + 0.7 * b)
    torch.testing.assert_close(blend, 0.3 * norm(x, a) + 0.7 * norm(x, b))


def test_projection_head_is_psi_plus_inner_product_with_the_class_embedding():
    head = ProjectionHead(5, 3, sn=False)
    phi = torch.randn(4, 5)
    y = torch.tensor([0, 2, 1, 1])
    expected = head.linear(phi).view(-1) + (head.embed.weight.T[y] * phi).sum(1)
    torch.testing.assert_close(head(phi, y), expected)


@pytest.mark.parametrize("family", ["dcgan-cond", "resnet-cond", "mlp-cond"])
def test_the_class_changes_the_sample_and_the_same_request_repeats(family):
    model = tiny(family)
    for m in model.G.modules():  # give each class its own conditioning
        if isinstance(m, (ConditionalBatchNorm2d, torch.nn.Linear)) and m is not model.G:
            for p in m.parameters():
                torch.nn.init.normal_(p, 0.0, 1.0)
    a = model.sample(3, seed=1, classes="3")
    assert torch.equal(a, model.sample(3, seed=1, classes="3"))
    assert not torch.allclose(a, model.sample(3, seed=1, classes="7"))
    blend = model.sample(3, seed=1, classes="3:0.5,7:0.5")
    assert blend.shape == a.shape and not torch.allclose(blend, a)


def test_acgan_discriminator_classifies_and_multihead_keeps_a_head_per_class():
    acgan = tiny("mlp-cond")
    phi = acgan.D.features(torch.rand(4, 1, 8, 8))
    assert acgan.D.classify(phi).shape == (4, 10)
    multihead = tiny("resnet-cond")
    assert multihead.D.cond.adv.linear.weight.shape[0] == 10


def test_a_trained_tiny_conditional_model_draws_the_class_it_is_asked_for(tmp_path):
    """An MLP cGAN on 8x8 digits, a few hundred steps: a classifier trained on real digits
    recognises the requested digit far above chance (10 %)."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    cfg = tiny_run_config(
        "mlp-cond",
        steps=100,
        run_dir=str(tmp_path / "run"),
        batch_size=64,
        ema_decay=0.0,
        lr_g=2e-3,
        lr_d=2e-3,
    )
    cfg["model"]["width"] = 64  # AC-GAN conditioning (the tiny mlp-cond) learns classes fast
    cfg["train"]["log_every"] = 50
    model = artgan.load(artgan.train(cfg))
    digits = load_digits()
    classifier = LogisticRegression(max_iter=1000).fit(digits.data / 8.0 - 1.0, digits.target)
    wanted = torch.arange(300) % 10
    samples = model.sample(300, seed=0, classes=wanted).reshape(300, -1).numpy()
    accuracy = (classifier.predict(samples) == wanted.numpy()).mean()
    assert accuracy > 0.3, accuracy  # measured 0.5


def test_python_api_samples_a_class_by_name():
    model = tiny("dcgan-cond")
    assert model.sample(2, seed=0, classes="5").shape == (2, 1, 32, 32)
    with pytest.raises(ArtganError):
        model.sample(2, seed=0, classes="eleven")
