"""The classifier family: what Classifier promises (class names, input shape, logits that are
differentiable in the input), its refusals, and the translator of pixel-level adaptation."""

import pytest
import torch

from artgan.config import from_dict
from artgan.data.types import DataSpec
from artgan.errors import ConfigError
from artgan.models import model_class
from artgan.models.capabilities import Classifier
from artgan.models.classifier import ClassifierConfig, CNNClassifier
from tests.conftest import TINY_MODELS


def make(family: str, **changes):
    cfg = {**TINY_MODELS[family], **changes}
    cls = model_class(cfg.pop("name"))
    torch.manual_seed(0)
    return cls(from_dict(cls.config_class, cfg))


def test_classify_gives_logits_differentiable_in_the_input():
    model = make("classifier", class_names=[f"c{k}" for k in range(10)])
    assert isinstance(model, Classifier)
    assert model.input_shape == (3, 16, 16) and model.class_names[3] == "c3"
    x = torch.zeros(2, 3, 16, 16, requires_grad=True)
    logits = model.classify(x)
    assert logits.shape == (2, 10)
    logits[:, 0].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert model.predict(x.detach()).shape == (2,)


def test_wrong_shapes_unlabelled_data_and_sampling_without_images_are_refused():
    model = make("classifier")
    with pytest.raises(ConfigError, match=r"classifies images of shape \(3, 16, 16\)"):
        model.classify(torch.zeros(1, 3, 28, 28))
    with pytest.raises(ConfigError, match="artgan eval RUN --data FOLDER"):
        model.sample(1, seed=0)
    with pytest.raises(ConfigError, match="needs labelled images"):
        ClassifierConfig().with_data(DataSpec(shape=(3, 28, 28)))
    spec = DataSpec(shape=(1, 28, 28), num_classes=3, class_names=["a", "b", "c"])
    config = ClassifierConfig().with_data(spec)
    assert (config.channels, config.num_classes, config.class_names) == (1, 3, ["a", "b", "c"])


def test_a_translator_restyles_training_images_and_is_not_saved():
    classifier: CNNClassifier = make("classifier", translator="runs/c")
    translator = make("cyclegan")
    assert classifier.warm_start_run() == "runs/c"
    classifier.warm_start(translator)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    expected = translator.translate(x, "a2b").clamp(-1, 1)
    assert torch.equal(classifier.training_images(x), expected)
    assert not any(k.startswith("_translator") for k in classifier.state_dict())
    with pytest.raises(ConfigError, match="is a dcgan run, not an image translator"):
        classifier.warm_start(make("dcgan"))
