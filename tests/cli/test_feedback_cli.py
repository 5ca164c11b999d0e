"""``artgan sample RUN --prefer RUN/feedback.jsonl`` (issue 17): samples steered by the run's
likes and dislikes, written by the one output point, and one-line errors for a feedback file
that is missing, empty or from another run."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

import artgan
from artgan import feedback
from artgan.cli.main import main
from artgan.cli.sample import preferred_draw
from artgan.provenance.output import read_record
from artgan.run_folder import Run
from artgan.sample import generate_from_latents
from tests.conftest import tiny_run_config


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("feedback") / "run"
    artgan.train(tiny_run_config(steps=1, run_dir=str(folder)))
    return folder


@pytest.fixture(scope="module")
def liked(run):
    """Likes for the latents with z[0] > 0, as the studio would record them."""
    model = artgan.load(run)
    for index, z in enumerate(model.latents(40, seed=9)):
        feedback.record(run, z, bool(z[0] > 0), seed=9, index=index)
    return Run(run).feedback_file


def test_steered_samples_are_written_through_the_output_point(run, liked, tmp_path, capsys):
    out = tmp_path / "liked.png"
    argv = ["sample", str(run), "--n", "6", "--prefer", str(liked), "--out", str(out)]
    assert main(argv) == 0
    assert main([*argv[:-1], str(tmp_path / "again.png")]) == 0
    first, again = (np.asarray(Image.open(p)) for p in (out, tmp_path / "again.png"))
    assert np.array_equal(first, again)  # deterministic by seed
    plain = tmp_path / "plain.png"
    assert main(["sample", str(run), "--n", "6", "--out", str(plain)]) == 0
    assert not np.array_equal(first, np.asarray(Image.open(plain)))  # steered: other latents
    prefer = read_record(out)["params"]["prefer"]
    assert prefer["records"] == 40 and prefer["features"] == "efficientnet-lite0"
    by_run = tmp_path / "by-run.png"  # --prefer RUN reads RUN/feedback.jsonl
    assert main(["sample", str(run), "--n", "6", "--prefer", str(run), "--out", str(by_run)]) == 0
    assert np.array_equal(first, np.asarray(Image.open(by_run)))


def test_steered_samples_are_those_of_the_steered_latents(run, liked):
    model = artgan.load(run)
    # the likes follow z[0], so a preference on the latent shows the steering at work
    preference, _ = feedback.load_preference(liked, model, feedback.LATENT_STEERING)
    z = feedback.steered_latents(model, 5, 2, preference, 0.0, feedback.LATENT_STEERING)
    assert (z[:, 0] > 0).float().mean() >= 0.6
    expected = model.generate(z).float().cpu()
    got = feedback.sample_preferred(model, 5, 2, preference, steering=feedback.LATENT_STEERING)
    assert torch.allclose(got, expected, atol=1e-5)
    assert torch.equal(feedback.sample_preferred(model, 5, 2, None), model.sample(5, seed=2))


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file"),
        ("", "holds no likes or dislikes"),
        ('{"step": 1, "loss": 0.5}\n', "holds no likes or dislikes"),
        (json.dumps({"latent": [0.5, 1.0], "liked": True}) + "\n", "latents of size 2"),
    ],
    ids=["missing", "empty", "foreign-log", "other-run"],
)
def test_a_bad_feedback_file_is_one_line_and_exit_2(run, tmp_path, capsys, content, message):
    path = tmp_path / "feedback.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    out = tmp_path / "x.png"
    assert main(["sample", str(run), "--n", "2", "--prefer", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_the_studio_draws_steered_pages_as_the_cli_does(run, liked):
    """One code path: the studio's page, ``artgan sample --prefer`` and the library call
    (``preference_for`` + ``steered_latents``, the default steering) give the same samples."""
    from artgan.studio.create import generate
    from artgan.studio.folders import StudioFolders
    from artgan.studio.runs import ModelCache

    page = generate(StudioFolders(run.parent), ModelCache(), run.name, 6, 2)
    assert page.steered_by == 40
    model = artgan.load(run)
    preference = feedback.preference_for(feedback.load(run)[0], model)
    assert preference.reads_images
    assert torch.equal(page.latents, feedback.steered_latents(model, 6, 2, preference))
    draw, said = preferred_draw(str(run), model)  # what artgan sample --prefer RUN draws
    assert said["records"] == 40
    cli = draw(model, 6, 2, {})
    assert torch.allclose(cli, generate_from_latents(model, page.latents), atol=1e-6)
