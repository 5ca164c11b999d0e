"""``artgan attack`` and ``artgan train --model advgan`` end to end on tiny runs: labelled
adversarial images through the output point, the robustness report, an AdvGAN trained against a
classifier run, its exact resume, and bad inputs refused with one line and exit 2."""

import json

import pytest
import torch

import artgan
from artgan.cli.main import main
from artgan.provenance.output import read_record
from artgan.training.checkpoint import load_raw_tensors, resolve_checkpoint
from tests.conftest import QUIET_CLI, TINY_MODELS, tiny_run_config

TINY_CLASSIFIER = {"name": "classifier", "image_size": 16, "widths": [4, 6], "hidden": 8}
TINY_ADVGAN = ["--model.width", "4", "--model.blocks", "1", "--model.d_width", "4"]
TINY_ADVGAN += ["--batch-size", "8", "--image-size", "16", *QUIET_CLI]


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory):
    """A classifier run on digits (16 px, grey), a few steps: enough to have right answers."""
    root = tmp_path_factory.mktemp("attack")
    config = tiny_run_config("dcgan", steps=30, run_dir=str(root / "clf"))
    config["model"] = dict(TINY_CLASSIFIER)
    config["data"] = {"source": "digits", "color": "grey"}
    config["train"]["batch_size"] = 32
    return artgan.train(config)


def attack(run, out, *options):
    args = ["attack", str(run), "--data", "digits", "--split", "train", "--n", "12"]
    return main([*args, "--out", str(out), *options])


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("method", ["fgsm", "pgd"])
def test_attack_writes_labelled_adversarial_images_within_eps(classifier_run, tmp_path, method):
    out = tmp_path / method
    assert attack(classifier_run, out, "--method", method, "--eps", "0.1", "--steps", "3") == 0
    pictures = sorted(out.glob("0*.png"))
    assert len(pictures) == 12 and (out / "sheet.png").is_file()
    record = read_record(pictures[0])
    params = record["params"]
    assert params["adversarial"] is True and params["attack"] == method and params["eps"] == 0.1
    assert params["target"] == str(classifier_run) and record["model_family"] == "classifier"
    assert {"true_label", "original_label", "new_label", "fooled"} <= set(params)
    summary = json.loads((out / "attack.json").read_text())
    assert summary["images"] == 12 and summary["max_change"] <= 0.1 + 1e-6
    assert 0 <= summary["success_rate"] <= 1


@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")  # saving one, here
def test_a_torchscript_model_is_attacked_as_a_classifier(tmp_path):
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    path = tmp_path / "net.pt"
    torch.jit.save(torch.jit.script(net), str(path))  # digits at its own 8 x 8
    out = tmp_path / "adv"
    args = ["--method", "pgd", "--eps", "0.05", "--steps", "2", "--input-range", "0,1"]
    assert attack(path, out, *args) == 0
    assert read_record(out / "0000.png")["model_family"] == "torchscript"


def test_report_lists_accuracy_under_each_attack_and_eps(classifier_run, tmp_path, capsys):
    out = tmp_path / "report"
    args = ["--report", "--method", "fgsm,pgd", "--eps", "0.05,0.2", "--steps", "2"]
    assert attack(classifier_run, out, *args) == 0
    rows = json.loads((out / "robustness.json").read_text())["rows"]
    assert [(r["attack"], r["eps"]) for r in rows] == [
        ("fgsm", 0.05),
        ("fgsm", 0.2),
        ("pgd", 0.05),
        ("pgd", 0.2),
    ]
    assert "| PGD-2 | 0.2 |" in (out / "robustness.md").read_text()


def test_advgan_trains_against_a_classifier_run_and_attacks_with_it(classifier_run, tmp_path):
    run = tmp_path / "adv"
    argv = ["train", "--model", "advgan", "--target", str(classifier_run), "--data", "digits"]
    argv += ["--eps", "0.1", "--steps", "2", "--run-dir", str(run), *TINY_ADVGAN]
    assert main([*argv, "--data.color", "grey"]) == 0
    assert not any("target" in key for key in load_raw_tensors(resolve_checkpoint(run)))
    out = tmp_path / "out"
    assert attack(classifier_run, out, "--method", "advgan", "--generator", str(run)) == 0
    params = read_record(out / "0000.png")["params"]
    assert params["attack"] == "advgan" and params["generator"] == str(run)
    assert json.loads((out / "attack.json").read_text())["max_change"] <= 0.1 + 1e-6


def test_advgan_without_a_generator_trains_one_first(classifier_run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the new run goes to runs/ here
    options = ["--method", "advgan", "--train-steps", "1", "--n", "4"]
    assert attack(classifier_run, tmp_path / "out", *options) == 0
    (run,) = (tmp_path / "runs").iterdir()
    assert read_record(tmp_path / "out" / "0000.png")["params"]["generator"] == str(
        run.relative_to(tmp_path)
    )


def resumes_exactly(tmp_path, model: dict) -> None:
    """4 steps straight == 2 steps, then resumed to 4 (tensors equal)."""

    def config(steps, name):
        c = tiny_run_config("dcgan", steps=steps, run_dir=str(tmp_path / name), lr_decay="none")
        c["model"] = model
        c["data"] = {"source": "digits", "color": "grey"}
        return c

    straight = artgan.train(config(4, "straight"))
    artgan.train(config(2, "resumed"))
    resumed = artgan.train(resume=tmp_path / "resumed", steps=4)
    a, b = (load_raw_tensors(resolve_checkpoint(d)) for d in (straight, resumed))
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-6, atol=1e-7)


def test_advgan_run_resumes_exactly(classifier_run, tmp_path):
    resumes_exactly(tmp_path, {**TINY_MODELS["advgan"], "target": str(classifier_run)})


def test_adversarially_trained_classifier_resumes_exactly(tmp_path):
    """PGD's random starts draw from the run's saved random state."""
    resumes_exactly(tmp_path, {**TINY_CLASSIFIER, "adversarial": {"eps": 0.1, "steps": 2}})


@pytest.mark.parametrize(
    "options, message",
    [
        (["--eps", "0"], "--eps must be above 0"),
        (["--eps", "-0.1"], "--eps must be above 0"),
        (["--eps", "nan"], "--eps must be above 0"),
        (["--method", "cw"], "unknown attack 'cw'"),
        (["--method", "fgsm,pgd"], "add --report"),
        (["--steps", "0"], "--steps must be at least 1"),
        (["--out", "x.png"], "--out is a folder"),
    ],
)
def test_bad_options_are_one_line_errors(classifier_run, tmp_path, capsys, options, message):
    base = ["attack", str(classifier_run), "--data", "digits", "--n", "4"]
    assert main([*base, "--out", str(tmp_path / "o"), *options]) == 2
    assert message in one_line_error(capsys)
    assert not (tmp_path / "o").exists()


def test_a_run_that_is_not_a_classifier_is_refused(tmp_path, capsys):
    run = artgan.train(tiny_run_config("dcgan", steps=1, run_dir=str(tmp_path / "gan")))
    assert attack(run, tmp_path / "o") == 2
    assert "holds a dcgan model, not a classifier" in one_line_error(capsys)
    assert attack(tmp_path / "missing", tmp_path / "o") == 2
    assert "does not exist" in one_line_error(capsys)
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    assert attack(tmp_path / "junk.pt", tmp_path / "o") == 2
    assert "is not a TorchScript model" in one_line_error(capsys)


def test_generator_that_is_not_an_advgan_run_is_refused(classifier_run, tmp_path, capsys):
    options = ["--method", "advgan", "--generator", str(classifier_run)]
    assert attack(classifier_run, tmp_path / "o", *options) == 2
    assert "--generator takes an AdvGAN run" in one_line_error(capsys)


def test_advgan_training_without_a_target_is_refused(tmp_path, capsys):
    argv = ["train", "--model", "advgan", "--data", "digits", "--steps", "1"]
    assert main([*argv, "--run-dir", str(tmp_path / "r"), *TINY_ADVGAN]) == 2
    assert "advgan trains against a target classifier" in one_line_error(capsys)
