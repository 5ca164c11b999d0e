"""Adversarial examples against classifiers (issue 19): FGSM, PGD and AdvGAN attacks on a
classifier run, a TorchScript file or ``classifier:<data>``; adversarial images written through
the output point; the robustness report. The maths is in losses/attacks.py, the AdvGAN family in
models/advgan.py."""

from .robustness import markdown_table, robustness_rows
from .run import METHODS, AttackResult, AttackSettings, run_attack
from .targets import LabelledImages, Target, load_target
from .write import write_attack

__all__ = [
    "METHODS",
    "AttackResult",
    "AttackSettings",
    "LabelledImages",
    "Target",
    "load_target",
    "markdown_table",
    "robustness_rows",
    "run_attack",
    "write_attack",
]
