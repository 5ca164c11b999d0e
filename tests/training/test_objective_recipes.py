"""Choosing an objective brings its paper's recipe (losses/recipes.py) for the settings the user
does not give, over the family's defaults; ``--dry-run`` shows it; other objectives and the
family's own objective keep the family's defaults."""

import json

import pytest

from artgan.cli.main import main
from artgan.losses.recipes import LOSS_RECIPES, PACKING_POINTS_BATCH, PACKING_POINTS_SETTINGS
from artgan.training.run import build_run_config

WGAN_GP = {
    "train.lr_g": 1e-4,
    "train.lr_d": 1e-4,
    "train.beta1": 0.0,
    "train.beta2": 0.9,
    "model.objective.n_critic": 5,
    "model.objective.gp_weight": 10.0,
    "model.objective.r1_gamma": 0.0,
}


def lookup(config: dict, dotted: str):
    node = config
    for key in dotted.split("."):
        node = node[key]
    return node


def dry_run(capsys, *args: str) -> tuple[dict, str]:
    assert main(["train", "--dry-run", "--device", "cpu", *args]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def test_choosing_wgan_gp_brings_its_papers_recipe_and_dry_run_says_so(capsys):
    config, said = dry_run(capsys, "--data", "art", "--loss", "wgan-gp")  # DCGAN's Adam(2e-4, 0.5)
    for dotted, value in WGAN_GP.items():
        assert lookup(config, dotted) == value, dotted
    assert "recipe of wgan-gp (Gulrajani et al. 2017, Algorithm 1)" in said
    assert "n_critic 5" in said


def test_on_2d_points_wgan_gp_brings_the_papers_2d_settings(capsys):
    config, said = dry_run(capsys, "--data", "ring8", "--loss", "wgan-gp")  # over the MLP's
    points = LOSS_RECIPES["wgan-gp"].points
    for dotted, value in points.settings.items():
        assert lookup(config, dotted) == value, dotted
    assert config["model"]["objective"]["gp_weight"] == 0.1  # gan_toy.py's lambda
    assert "their 2-D settings" in said


def test_the_recipe_wins_over_the_familys_defaults_but_not_over_the_user(tmp_path, capsys):
    # The 2-D defaults set Adam(2e-3, 0.5, 0.9) and R1 0.03 for bce; the user sets lr_g and the
    # critic steps, and a config file sets beta1: those stay, the rest is the recipe's.
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"train": {"beta1": 0.5}}))
    config, said = dry_run(
        capsys,
        *("--config", str(path), "--data", "ring8", "--model.objective.loss", "wgan-gp"),
        *("--train.lr_g", "3e-4", "--model.objective.n_critic", "2"),
    )
    assert config["train"]["lr_g"] == 3e-4 and config["model"]["objective"]["n_critic"] == 2
    assert config["train"]["beta1"] == 0.5
    points = LOSS_RECIPES["wgan-gp"].points.settings
    assert config["train"]["lr_d"] == points["train.lr_d"] and config["train"]["beta2"] == 0.9
    assert config["model"]["objective"]["r1_gamma"] == 0.0
    assert "lr_g" not in said.split("recipe of")[1].split(";")[0]
    assert config["model"]["width"] == 96  # the family's defaults still fill the rest


@pytest.mark.parametrize("loss", ["bce", "minimax", "lsgan", "hinge"])
@pytest.mark.parametrize("data", ["ring8", "art"])
def test_objectives_without_a_recipe_keep_the_familys_defaults(loss, data):
    plain = build_run_config(None, {"data": data}).to_dict()
    chosen = build_run_config(None, {"data": data, "loss": loss})
    assert not chosen.applied_recipe
    plain["model"]["objective"]["loss"] = loss
    assert chosen.to_dict() == plain


def test_the_familys_own_objective_keeps_the_familys_recipe():
    # WaveGAN's own loss is wgan-gp with its paper's Adam(1e-4, 0.5, 0.9): naming it changes
    # nothing, while another loss on it brings that loss's recipe.
    own = build_run_config(None, {"model": "wavegan", "loss": "wgan-gp"})
    assert not own.applied_recipe and own.train.beta1 == 0.5
    assert build_run_config(None, {"model": "wavegan"}).to_dict() == own.to_dict()
    other = build_run_config(None, {"model": "wavegan", "loss": "wgan"})
    assert other.train.lr_g == LOSS_RECIPES["wgan"].settings["train.lr_g"]


def test_a_resumed_run_keeps_its_own_settings():
    saved = build_run_config(None, {"data": "ring8", "loss": "wgan-gp", "train.lr_g": 7e-4})
    again = build_run_config(saved.to_dict(), {"steps": 10})
    assert not again.applied_recipe and again.train.lr_g == 7e-4


def test_packing_counts_the_batch_in_packed_samples_unless_the_batch_is_given():
    family = build_run_config(None, {"data": "art"}).train.batch_size  # DCGAN's
    packed = build_run_config(None, {"data": "art", "model.objective.pack": 4})
    assert packed.train.batch_size == 4 * family
    assert "PacGAN (Lin et al. 2018)" in packed.applied_recipe["name"]
    assert packed.applied_recipe["settings"] == {"train.batch_size": 4 * family}
    given = build_run_config(None, {"data": "art", "model.objective.pack": 4, "batch_size": 64})
    assert given.train.batch_size == 64 and not given.applied_recipe


def test_on_2d_points_packing_brings_pacgans_own_2d_batch_and_a_longer_budget(capsys):
    # fjxmlzn/PacGAN's 2-D runs: 100 packed samples a step (not 4 x the MLP's 256), and more
    # steps than the MLP's 16k at the same CPU cost; the MLP's optimiser and R1 stay.
    family, _ = dry_run(capsys, "--data", "grid25")
    config, said = dry_run(capsys, "--data", "grid25", "--model.objective.pack", "4")
    assert config["train"]["batch_size"] == 4 * PACKING_POINTS_BATCH == 400
    assert config["train"]["steps"] == PACKING_POINTS_SETTINGS["train.steps"]
    assert config["train"]["steps"] > family["train"]["steps"]
    for key in ("lr_g", "lr_d", "beta1", "beta2", "lr_decay", "ema_decay"):
        assert config["train"][key] == family["train"][key], key
    assert config["model"]["objective"]["r1_gamma"] == family["model"]["objective"]["r1_gamma"]
    assert config["model"]["width"] == family["model"]["width"]  # the network stays the family's
    assert "recipe of pack 4: PacGAN (Lin et al. 2018), their 2-D batch" in said
    assert "batch_size 400" in said


def test_pacgans_2d_batch_and_steps_give_way_to_the_user_and_to_a_losss_own_recipe(capsys):
    config, said = dry_run(
        capsys, *("--data", "ring8", "--model.objective.pack", "2", "--steps", "500")
    )
    assert config["train"]["steps"] == 500 and config["train"]["batch_size"] == 200
    assert "steps" not in said.split("recipe of")[1].split(";")[0]
    # A loss with its own recipe keeps its optimiser and budget; packing only counts that
    # recipe's batch in packed samples.
    packed = build_run_config(None, {"data": "ring8", "loss": "wgan-gp", "model.objective.pack": 4})
    points = LOSS_RECIPES["wgan-gp"].points.settings
    assert packed.train.lr_g == points["train.lr_g"] and packed.train.beta1 == 0.5
    assert packed.train.batch_size == 4 * points["train.batch_size"]
    assert packed.train.steps == build_run_config(None, {"data": "ring8"}).train.steps
    assert packed.model.objective.gp_weight == 0.1
