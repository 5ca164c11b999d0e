"""Each objective's own recipe: how its paper trains it (optimiser, critic steps, penalty weight,
batch), so that choosing an objective brings settings it works with.

A family's ``run_defaults`` are tuned for the family's own objective (bce for the MLP and DCGAN,
hinge for the ResNet, wgan-gp for WaveGAN). When a new run chooses another loss, or turns on
packing, the recipe of that choice fills the settings the user did not give, over the family's
defaults: a Wasserstein critic trained with a non-saturating GAN's Adam(2e-3, 0.5, 0.9) and one
critic step per generator step collapses (bench/mode_coverage.py: 0.8 % high-quality samples on
the ring). Explicit settings (options, a config file, a preset) always win; ``--dry-run`` and the
first line of training name the recipe and what it set.

Objectives without a recipe here (bce, minimax, lsgan, hinge) were published with the generic
Adam(2e-4, 0.5, 0.999) that the families already use, so they keep the family's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Recipe:
    name: str  # what the user reads: the objective and its paper
    settings: dict[str, Any] = field(default_factory=dict)  # dotted, like run_defaults
    # The paper's own settings for 2-D point mixtures, where they differ (None: ``settings``).
    points: Recipe | None = None

    def for_data(self, points: bool) -> Recipe:
        return self.points if points and self.points is not None else self


LOSS_RECIPES: dict[str, Recipe] = {
    # Algorithm 1 of Gulrajani et al. 2017, "Improved Training of Wasserstein GANs": lambda 10,
    # n_critic 5, Adam(alpha 1e-4, beta1 0, beta2 0.9). The critic's only regulariser is the
    # gradient penalty, so a family's R1 (tuned for bce) is off.
    "wgan-gp": Recipe(
        "wgan-gp (Gulrajani et al. 2017, Algorithm 1)",
        {
            "train.lr_g": 1e-4,
            "train.lr_d": 1e-4,
            "train.beta1": 0.0,
            "train.beta2": 0.9,
            "model.objective.n_critic": 5,
            "model.objective.gp_weight": 10.0,
            "model.objective.r1_gamma": 0.0,
        },
        # The authors' 2-D code (gan_toy.py, igul222/improved_wgan_training): Adam(0.5, 0.9),
        # lambda 0.1 ("smaller lambda makes things faster for toy tasks"), batch 256. With
        # lambda 10 the 2-D critic never got ahead of the generator here (its Wasserstein
        # estimate stayed at or below 0) and the ring came out as a disc. Their rate is 1e-4
        # for 100k generator steps on data scaled to unit spread; the 2-D budget here is 16k
        # steps and grid25 spans +-4 (a 1-Lipschitz critic's pull does not grow with the
        # distance to cover), so 5e-4: on grid25 (seed 0, 16k steps) 1e-4 gave 21 modes and
        # 6 % high-quality samples, 5e-4 25 modes and 83 %.
        points=Recipe(
            "wgan-gp (Gulrajani et al. 2017, their 2-D settings)",
            {
                "train.lr_g": 5e-4,
                "train.lr_d": 5e-4,
                "train.beta1": 0.5,
                "train.beta2": 0.9,
                "train.batch_size": 256,
                "model.objective.n_critic": 5,
                "model.objective.gp_weight": 0.1,
                "model.objective.r1_gamma": 0.0,
            },
        ),
    ),
    # Algorithm 1 of Arjovsky et al. 2017, "Wasserstein GAN": RMSProp(5e-5), n_critic 5, clip
    # 0.01. Adam with beta1 0 is RMSProp with bias correction; beta2 0.99 is PyTorch RMSProp's
    # decay (the authors' code).
    "wgan": Recipe(
        "wgan (Arjovsky et al. 2017, Algorithm 1)",
        {
            "train.lr_g": 5e-5,
            "train.lr_d": 5e-5,
            "train.beta1": 0.0,
            "train.beta2": 0.99,
            "model.objective.n_critic": 5,
            "model.objective.clip_value": 0.01,
            "model.objective.r1_gamma": 0.0,
        },
    ),
}

# PacGAN (Lin et al. 2018): the discriminator's batch counts packed samples, each ``pack`` fakes
# or reals side by side (their 2-D runs: 100 packed samples a step, whatever the packing), so a
# packed run draws ``pack`` times the family's batch and D sees as many inputs as without packing.
PACKING_RECIPE_NAME = "PacGAN (Lin et al. 2018)"

# PacGAN's own 2-D runs (fjxmlzn/PacGAN, synthetic_data_experiments/2DGrid_GAN&PacGAN and
# 2DRing_GAN&PacGAN: config.py, pacgan_task.py; the same for every packing degree and for their
# unpacked GAN): 100 packed samples a step, Adam(1e-4, beta1 0.8, beta2 0.999) for G and D, no
# penalty on D, 400 epochs of 1,000 steps = 400k steps, a G of 4 x 400 with batch norm and a D
# of 3 x 200 maxout units. On 2-D points the recipe takes their batch and doubles the family's
# 16k steps towards theirs: 100 x 4 samples a step cost less than the family's 256 x 4, so 32k
# steps take about 1.3 times the CPU of 16k (grid25, one thread: 142 s against 107 s). Their
# optimiser needs their 400k steps: at 32k (grid25, seed 100, not a bench seed) Adam(1e-4, 0.8,
# 0.999) without R1 left 16 of 25 modes and 3.8 % high-quality samples, where the family's
# Adam(2e-3, 0.5, 0.9) with its decay, EMA and R1 kept 25 and 91.4 %; so the family's optimiser
# stays. The network is the family's business, not the objective's.
PACKING_POINTS_BATCH = 100
PACKING_POINTS_SETTINGS: dict[str, Any] = {"train.steps": 32000}


def packing_recipe(
    pack: int, batch_size: int, points: bool = False, loss_recipe: Recipe | None = None
) -> Recipe:
    """``pack``'s recipe: the batch counted in packed samples, over ``batch_size`` (the family's)
    or the batch of ``loss_recipe`` (the chosen loss's own recipe, whose optimiser then stays:
    PacGAN's optimiser is its non-saturating GAN's). On 2-D ``points`` with a loss that brings
    no recipe, PacGAN's own 2-D batch and a longer step budget."""
    if loss_recipe is not None:
        packed = int(loss_recipe.settings.get("train.batch_size", batch_size))
        return Recipe(f"pack {pack}: {PACKING_RECIPE_NAME}", {"train.batch_size": packed * pack})
    if points:
        return Recipe(
            f"pack {pack}: {PACKING_RECIPE_NAME}, their 2-D batch",
            {"train.batch_size": PACKING_POINTS_BATCH * pack, **PACKING_POINTS_SETTINGS},
        )
    return Recipe(f"pack {pack}: {PACKING_RECIPE_NAME}", {"train.batch_size": batch_size * pack})


def objective_recipes(
    chosen: dict[str, Any], own: dict[str, Any], batch_size: int, points: bool
) -> list[Recipe]:
    """The recipes of what ``chosen`` (the run's objective options) changes from ``own`` (the
    family's objective): the loss's when the loss differs, packing's when packing is turned on.
    ``batch_size`` is the batch the family would train with; ``points``: 2-D point data."""
    recipes = []
    loss = chosen.get("loss", own.get("loss"))
    loss_recipe = None
    if loss != own.get("loss") and loss in LOSS_RECIPES:
        loss_recipe = LOSS_RECIPES[loss].for_data(points)
        recipes.append(loss_recipe)
    pack = int(chosen.get("pack", own.get("pack", 1)))
    if pack > 1 and pack != int(own.get("pack", 1)):
        recipes.append(packing_recipe(pack, batch_size, points, loss_recipe))
    return recipes
