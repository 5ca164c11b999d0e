"""Directions in a generator's latent space that change one aspect of the image.

- SeFa (Shen & Zhou 2021, "Closed-Form Factorization of Latent Semantics in GANs"): the first
  layer maps z to features by a matrix W (out, z_dim); moving z by n changes the features by
  W n, and the unit directions that change them most are the top eigenvectors of W^T W. As in
  the paper's code, each output unit's weight vector is normalised first. Needs only the
  weights: no data, no training.
- Label directions: for a model trained on labelled data, generate samples, let a classifier
  say which class each looks like, and take the difference between the mean latent of the
  samples of class c and the mean of all latents (normalised). With z ~ N(0, I) this is the
  Fisher discriminant direction of the class, the closed-form cousin of InterFaceGAN's linear
  boundaries (Shen et al. 2020, "Interpreting the Latent Space of GANs for Semantic Face
  Editing").
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..errors import ArtganError, DataError
from ..sample import generate_from_latents

MIN_SAMPLES_PER_CLASS = 10


def latent_weight(model) -> torch.Tensor:
    """The generator's first layer as a matrix (out, z_dim)."""
    return model.latent_weight().detach().float().cpu()  # LatentGenerator.latent_weight


def sefa_directions(model, k: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The top ``k`` SeFa directions as orthonormal rows (k, z_dim), and their eigenvalues
    (k,), largest first."""
    w = latent_weight(model)  # (out, z_dim)
    w = w / w.norm(dim=1, keepdim=True).clamp_min(1e-12)  # each output unit's weights, unit norm
    values, vectors = torch.linalg.eigh(w.T.double() @ w.double())  # ascending
    order = values.argsort(descending=True)[: k or w.shape[1]]
    directions = vectors[:, order].T.float()  # (k, z_dim)
    # Fix each eigenvector's sign (eigh's is arbitrary): largest component positive.
    signs = directions.gather(1, directions.abs().argmax(1, keepdim=True)).sign()
    return directions * signs, values[order].float()


@torch.no_grad()
def label_directions(
    model,
    classify: Callable[[torch.Tensor], torch.Tensor],
    class_names: list[str],
    n: int = 2000,
    seed: int = 0,
    batch_size: int = 256,
) -> tuple[torch.Tensor, dict[str, int]]:
    """One unit direction per class (K, z_dim): mean latent of the samples ``classify``
    (images -> logits (N, K)) assigns to the class, minus the mean of all latents. A class
    with fewer than 10 samples gets a zero row; the counts per class are returned with them."""
    if model.conditional:
        raise ArtganError(
            "label directions are for unconditional models; a conditional model changes class "
            "with --class (blends like a:0.5,b:0.5 move between classes)"
        )
    z = model.latents(n, seed=seed)
    predicted = torch.cat(
        [classify(generate_from_latents(model, c)).argmax(1).cpu() for c in z.split(batch_size)]
    )
    directions = torch.zeros(len(class_names), z.shape[1])
    counts = {}
    for c, name in enumerate(class_names):
        members = predicted == c
        counts[name] = int(members.sum())
        # A direction needs enough samples in the class and enough outside it.
        if MIN_SAMPLES_PER_CLASS <= counts[name] <= n - MIN_SAMPLES_PER_CLASS:
            d = z[members].mean(0) - z.mean(0)
            directions[c] = d / d.norm().clamp_min(1e-12)
    if not directions.abs().sum():
        raise DataError(
            f"no class direction: the classifier puts (nearly) all {n} samples in one class, "
            f"or fewer than {MIN_SAMPLES_PER_CLASS} in each; train the model longer or use "
            "more samples"
        )
    return directions, counts


DIRECTION_KINDS = ("sefa", "labels")


def default_classifier(model) -> str:
    """``classifier:<the run's data>`` (the evaluation classifier trained on that data)."""
    source = model.origin.data.get("source", "") if model.origin else ""
    if not source:
        raise ArtganError("the run does not say what data it was trained on; pass --classifier")
    return f"classifier:{source}"


def find_directions(
    model,
    kind: str = "sefa",
    count: int = 8,
    classifier: str | None = None,
    samples: int = 2000,
    seed: int = 0,
) -> tuple[torch.Tensor, list[str]]:
    """Directions (D, z_dim) and a name for each: the top ``count`` SeFa directions, or one
    label direction per class seen by ``classifier`` (a FEATURES name with ``logits``)."""
    if kind == "sefa":
        directions, values = sefa_directions(model, count)
        return directions, [f"sefa {i} (eigenvalue {v:.3g})" for i, v in enumerate(values)]
    if kind != "labels":
        raise ArtganError(
            f"unknown kind of direction {kind!r}; valid: {', '.join(DIRECTION_KINDS)}"
        )
    # imported here: the metrics package is 0.2 CPU s of every start of the studio and of
    # the commands that use SeFa directions only
    from ..metrics.extractors import get_extractor

    extractor = get_extractor(classifier or default_classifier(model), device=model.device)
    names = list(extractor.class_names) or [
        str(i) for i in range(extractor.logits(model.sample(1, seed=0)).shape[1])
    ]
    directions, counts = label_directions(model, extractor.logits, names, samples, seed)
    return directions, [f"{name} ({counts[name]} of {samples} samples)" for name in names]
