"""What the trainer writes every ``sample_every`` steps: a picture (or text) from a fixed seed,
so a user can watch a run improve. One writer per kind of output."""

from __future__ import annotations

from pathlib import Path

from ..models.capabilities import ImageToImage
from ..provenance import GenerationRecord, write_image, write_text
from ..sample import make_grid, scatter_plot

PREVIEW_SEED = 1234


def write_preview(model, dataset, folder: Path, step: int, record: GenerationRecord) -> Path:
    """Write the preview of ``model`` at ``step`` into ``folder``; returns the file."""
    kind = model.output_kind
    if kind == "points":
        points = model.sample(2000, seed=PREVIEW_SEED).numpy()
        reference = dataset.x[:2000].float().cpu().numpy()
        return write_image(scatter_plot(points, reference), folder / f"step-{step:08d}.png", record)
    if kind == "text":
        texts = model.generate_text(4, seed=PREVIEW_SEED)
        body = "\n\n----\n\n".join(texts)
        return write_text(body + "\n", folder / f"step-{step:08d}.txt", record)
    if kind == "audio":
        from ..audio import spectrogram_sheet  # the audio family provides the sheet

        waves = model.sample(8, seed=PREVIEW_SEED)
        return write_image(
            spectrogram_sheet(waves, model.sample_rate), folder / f"step-{step:08d}.png", record
        )
    if isinstance(model, ImageToImage):  # input beside output
        images, columns = model.preview_grid(dataset)
        grid = make_grid(images, columns=columns)
        return write_image(grid, folder / f"step-{step:08d}.png", record)
    if model.conditional:  # a row of 8 per class (the first 16 classes)
        rows = [k for k in range(min(16, model.config.num_classes)) for _ in range(8)]
        samples = model.sample(len(rows), seed=PREVIEW_SEED, classes=rows)
        grid = make_grid(samples, columns=8)
        return write_image(grid, folder / f"step-{step:08d}.png", record)
    grid = make_grid(model.sample(64, seed=PREVIEW_SEED), columns=8)
    return write_image(grid, folder / f"step-{step:08d}.png", record)
