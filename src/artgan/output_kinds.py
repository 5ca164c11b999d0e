"""What a model makes (DESIGN 12): images, 2-D points, text, sounds or 3-D meshes.

Each kind owns everything that depends on it: the preview the trainer writes, how ``artgan
sample`` draws and writes files, its default count, the metrics ``artgan eval`` offers and the
model card's words. A model names its kind (``model.output_kind``); a new kind is one more
entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from .audio import spectrogram_sheet
from .data.points import POINT_SUFFIXES
from .data.projection import turntable_views
from .errors import ArtganError
from .mesh import MESH_FORMATS, grid_to_mesh, mesh_bytes
from .models.capabilities import ImageToImage
from .provenance import (
    GenerationRecord,
    write_audio,
    write_diagram,
    write_gif,
    write_image,
    write_mesh,
    write_points,
    write_text,
)
from .provenance.output import IMAGE_FORMATS
from .registry import Registry
from .sample import check_folder_space, enlarge_for_display, grid_pixels, scatter_plot, to_uint8

PREVIEW_SEED = 1234

TEXT_SEPARATOR = "\n\n----\n\n"


def draw_samples(model, n: int, seed: int | None, options: dict):
    return model.sample(n, seed=seed, **options)


@dataclass(frozen=True)
class OutputKind:
    name: str
    words: str  # what the model card says the model makes: "images", "2-D points"
    default_count: int  # how many samples `artgan sample` draws without --n
    sample_example: str  # the `artgan sample` options `artgan train` suggests next
    preview: Callable[[Any, Any, Path, GenerationRecord], Path]  # (model, data, stem, record)
    write: Callable[..., str]  # (model, samples, out, record, columns) -> what it wrote
    draw: Callable[..., Any] = draw_samples  # (model, n, seed, options) -> samples
    # (model, batches, out, record, n) -> what it wrote: a folder written batch by batch as
    # draw_in_batches yields them, so memory holds one batch; None: the kind writes at once.
    stream: Callable[..., str] | None = None
    sample_defaults: dict[str, Any] = field(default_factory=dict)  # `artgan sample` options
    metrics: tuple[str, ...] = ()  # what `artgan eval` can score
    default_metrics: tuple[str, ...] = ()  # what it scores when not told
    colour_mode: bool = False  # data is read in the model's channels (grey or RGB) to compare
    item_unit: str = "img"  # one training item, for the training rate: img/s, pts/s, ...

    def evaluate(self, model, config, names: list[str], opts: dict) -> dict:
        """``artgan eval``'s scores for a model of this kind (see :data:`EVALUATORS`)."""
        return EVALUATORS.get(self.name)(model, config, names, opts)


OUTPUT_KINDS: Registry[OutputKind] = Registry("output kind")

# How `artgan eval` scores each kind: (model, data config, metric names, options) -> result.
# The metrics layer, above this one, registers them (metrics/evaluate.py), so this module
# imports nothing from it; a kind with metrics has an evaluator there.
EVALUATORS: Registry[Callable[..., dict]] = Registry("evaluator")


def kind_of(model) -> OutputKind:
    return OUTPUT_KINDS.get(model.output_kind)


def _register(kind: OutputKind) -> OutputKind:
    return OUTPUT_KINDS.register(kind.name)(kind)


# ----------------------------------------------------------------------------- images


def preview_images(model, dataset, stem: Path, record: GenerationRecord) -> Path:
    if isinstance(model, ImageToImage):  # input beside output
        images, columns = model.preview_grid(dataset)
        sheet = enlarge_for_display(grid_pixels(images, columns=columns))
        return write_image(sheet, stem.with_suffix(".png"), record)
    if model.conditional:  # a row of 8 per class (the first 16 classes)
        rows = [k for k in range(min(16, model.config.num_classes)) for _ in range(8)]
        samples = model.sample(len(rows), seed=PREVIEW_SEED, classes=rows)
    else:
        samples = model.sample(64, seed=PREVIEW_SEED)
    sheet = enlarge_for_display(grid_pixels(samples, columns=8))  # >= 512 px, for a person
    return write_image(sheet, stem.with_suffix(".png"), record)


def write_images(
    model,
    samples,
    out: Path,
    record: GenerationRecord,
    columns: int = 0,
    display: tuple[int, str] | None = None,
) -> str:
    """One grid for an image extension (enlarged to ``display`` = (width, filter) when given),
    else a folder with one PNG per sample (never enlarged)."""
    if out.suffix.lower() in IMAGE_FORMATS:
        grid = grid_pixels(samples, columns=columns or None)
        if display:
            grid = enlarge_for_display(grid, *display)
        write_image(grid, out, record)
        return f"wrote a grid of {len(samples)} samples to {out}"
    if out.suffix:
        raise ArtganError(
            f"--out {out}: use an image extension ({', '.join(IMAGE_FORMATS)}) for a grid, or a "
            "folder name without extension"
        )
    return write_image_folder(model, [(0, samples)], out, record, len(samples))


def write_image_folder(model, batches, out: Path, record: GenerationRecord, n: int) -> str:
    """One PNG per sample, ``batches`` ((offset, samples) pairs) written as they come: a large
    ``n`` never sits in memory at once. Refused before any work when the disk cannot hold
    ``n`` files."""
    check_folder_space(n, out)
    out.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(n - 1)))
    for offset, samples in batches:
        for i, image in enumerate(to_uint8(samples), start=offset):
            write_image(image, out / f"{i:0{width}d}.png", record.with_params(index=i))
    return f"wrote {n} images to {out}/"


# ----------------------------------------------------------------------------- 2-D points


def preview_points(model, dataset, stem: Path, record: GenerationRecord) -> Path:
    points = model.sample(2000, seed=PREVIEW_SEED).numpy()
    reference = dataset.x[:2000].float().cpu().numpy()
    return write_diagram(scatter_plot(points, reference), stem.with_suffix(".png"), record)


def write_point_file(model, samples, out: Path, record: GenerationRecord, columns: int = 0) -> str:
    """The points (.npy or .csv) and a scatter plot beside them."""
    if out.suffix.lower() not in POINT_SUFFIXES:
        raise ArtganError(f"{model.name} generates points: --out must end in .npy or .csv")
    write_points(samples.numpy(), out, record)
    plot = out.with_suffix(".png")
    write_diagram(scatter_plot(samples.numpy()), plot, record.with_params(kind="scatter"))
    return f"wrote {len(samples)} points to {out} and a scatter plot to {plot}"


# ----------------------------------------------------------------------------- text


def draw_texts(model, n: int, seed: int | None, options: dict) -> list[str]:
    return model.generate_text(n, seed=seed, **options)


def preview_text(model, dataset, stem: Path, record: GenerationRecord) -> Path:
    texts = model.generate_text(4, seed=PREVIEW_SEED)
    return write_text(TEXT_SEPARATOR.join(texts) + "\n", stem.with_suffix(".txt"), record)


def write_texts(model, texts, out: Path, record: GenerationRecord, columns: int = 0) -> str:
    """One text file (samples separated by a line of dashes) or a folder of .txt files."""
    if out.suffix:
        write_text(TEXT_SEPARATOR.join(texts) + "\n", out, record)
        return f"wrote {len(texts)} text sample(s) to {out}"
    out.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(len(texts) - 1)))
    for i, text in enumerate(texts):
        write_text(text + "\n", out / f"{i:0{width}d}.txt", record.with_params(index=i))
    return f"wrote {len(texts)} texts to {out}/"


# ----------------------------------------------------------------------------- sounds


def preview_sounds(model, dataset, stem: Path, record: GenerationRecord) -> Path:
    waves = model.sample(8, seed=PREVIEW_SEED)
    sheet = spectrogram_sheet(waves, model.sample_rate)
    return write_diagram(sheet, stem.with_suffix(".png"), record)


def write_sounds(model, samples, out: Path, record: GenerationRecord, columns: int = 0) -> str:
    """WAV files plus a spectrogram sheet of them all (or one .wav and its spectrogram)."""
    rate = model.sample_rate
    record = record.with_params(sample_rate=rate)
    if out.suffix.lower() == ".wav":
        if len(samples) != 1:
            raise ArtganError(
                f"--out {out.name} names one file; use --n 1, or a folder name for several sounds"
            )
        write_audio(samples[0], rate, out, record)
        sheet = out.with_suffix(".png")
        write_diagram(spectrogram_sheet(samples, rate), sheet, record.with_params(kind="sheet"))
        return f"wrote {out} and its spectrogram {sheet}"
    if out.suffix:
        raise ArtganError(
            f"--out {out}: audio models write a folder (a name without extension) or one .wav file"
        )
    out.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(len(samples) - 1)))
    for i, wave in enumerate(samples):
        write_audio(wave, rate, out / f"{i:0{width}d}.wav", record.with_params(index=i))
    sheet = spectrogram_sheet(samples, rate)
    write_diagram(sheet, out / "spectrograms.png", record.with_params(kind="sheet"))
    return f"wrote {len(samples)} WAV files and spectrograms.png to {out}/"


# ----------------------------------------------------------------------------- class labels


def preview_labels(model, dataset, stem: Path, record: GenerationRecord) -> Path:
    """Training images in rows by the class the classifier gives them (models/classifier.py)."""
    images, columns = model.preview_grid(dataset)
    sheet = enlarge_for_display(grid_pixels(images, columns=columns))
    return write_image(sheet, stem.with_suffix(".png"), record)


def refuse_label_files(model, samples, out: Path, record: GenerationRecord, columns: int = 0):
    raise ArtganError(
        f"{model.name} runs label images rather than make them: score a labelled folder with "
        "artgan eval RUN --data FOLDER"
    )


# ----------------------------------------------------------------------------- 3-D meshes

TURNTABLE_FRAMES = 24  # one turn of the object, a frame every 15 degrees
SHEET_VIEWS = 8  # views of each object on a contact sheet, one row an object
GIF_SIDE = 192  # turntable frames enlarged for a person (the watermark needs 128 px)


def views_of(model, volume: torch.Tensor, frames: int) -> torch.Tensor:
    """(frames, 3, S, S) pictures in [0, 1] of one grid, once around it (VolumeGenerator)."""
    azimuth, elevation = turntable_views(frames)
    volumes = volume[None].expand(frames, *volume.shape)  # (F, 4, S, S, S)
    with torch.no_grad():
        return model.render(volumes, azimuth, elevation).float().cpu()


def mesh_sheet(model, volumes: torch.Tensor) -> np.ndarray:
    """A contact sheet: one row an object, SHEET_VIEWS views round it, enlarged for display."""
    pictures = torch.cat([views_of(model, v, SHEET_VIEWS) for v in volumes])  # (n * V, 3, S, S)
    return enlarge_for_display(grid_pixels(pictures * 2 - 1, columns=SHEET_VIEWS))


def turntable(model, volume: torch.Tensor) -> list[np.ndarray]:
    tiles = to_uint8(views_of(model, volume, TURNTABLE_FRAMES) * 2 - 1)  # (F, S, S, 3)
    size = (GIF_SIDE, GIF_SIDE)
    return [np.asarray(Image.fromarray(t).resize(size, Image.Resampling.BICUBIC)) for t in tiles]


def preview_meshes(model, dataset, stem: Path, record: GenerationRecord) -> Path:
    volumes = model.sample(8, seed=PREVIEW_SEED)
    return write_image(mesh_sheet(model, volumes), stem.with_suffix(".png"), record)


def write_meshes(model, samples, out: Path, record: GenerationRecord, columns: int = 0) -> str:
    """A folder: per object a .glb and an .obj mesh (marching cubes at the model's surface
    level) and a turntable .gif, and sheet.png of them all. A grid with no voxel above the
    level has no surface: it gets no mesh file, and the message says which."""
    if out.suffix:
        raise ArtganError(
            f"--out {out}: 3-D models write a folder (a name without extension): a .glb, .obj "
            "and turntable .gif per object, and sheet.png"
        )
    out.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(len(samples) - 1)))
    empty = []
    for i, volume in enumerate(samples):
        stem, item = out / f"{i:0{width}d}", record.with_params(index=i)
        mesh = grid_to_mesh(volume.numpy(), model.surface_level)
        if mesh is None:
            empty.append(stem.name)
        else:
            for suffix in MESH_FORMATS:
                write_mesh(mesh_bytes(mesh, suffix), stem.with_suffix(suffix), item)
        frames = turntable(model, volume)
        write_gif(frames, stem.with_suffix(".gif"), item.with_params(kind="turntable"))
    write_image(mesh_sheet(model, samples), out / "sheet.png", record.with_params(kind="sheet"))
    said = (
        f"wrote {len(samples) - len(empty)} meshes (.glb and .obj), {len(samples)} turntable "
        f"GIFs and sheet.png to {out}/"
    )
    if empty:
        said += (
            f"; no mesh for {', '.join(empty)}: no voxel reaches opacity {model.surface_level} "
            "(an empty grid; see its GIF)"
        )
    return said


def preview_denoising(model, dataset, stem: Path, record: GenerationRecord) -> Path:
    """Spectrograms of noisy, enhanced and clean, a row per training pair."""
    rows = model.preview_rows(dataset)
    sheet = spectrogram_sheet(rows, model.sample_rate, columns=3)
    return write_diagram(sheet, stem.with_suffix(".png"), record)


# ----------------------------------------------------------------------------- the registry

IMAGE = _register(
    OutputKind(
        "image",
        words="images",
        default_count=64,
        sample_example="--n 64 --out grid.png",
        preview=preview_images,
        write=write_images,
        stream=write_image_folder,
        metrics=("fid", "kid", "pr", "dc", "is", "memorization", "nll"),
        default_metrics=("fid", "kid", "pr", "dc"),
        colour_mode=True,
    )
)
POINTS = _register(
    OutputKind(
        "points",
        item_unit="pts",
        words="2-D points",
        default_count=64,
        sample_example="--n 2500 --out points.npy",
        preview=preview_points,
        write=write_point_file,
    )
)
TEXT = _register(
    OutputKind(
        "text",
        item_unit="seq",
        words="text",
        default_count=1,
        sample_example='--prime "The " --length 400 --out sample.txt',
        preview=preview_text,
        write=write_texts,
        draw=draw_texts,
        sample_defaults={"prime": "", "length": 400, "temperature": 1.0, "top_k": 0},
        metrics=("bpc",),
        default_metrics=("bpc",),
    )
)
AUDIO = _register(
    OutputKind(
        "audio",
        item_unit="clips",
        words="sounds",
        default_count=8,
        sample_example="--n 8 --out sounds/",
        preview=preview_sounds,
        write=write_sounds,
        metrics=("fd",),
        default_metrics=("fd",),
    )
)
LABELS = _register(
    OutputKind(
        "labels",
        item_unit="img",
        words="class labels for images",
        default_count=1,
        sample_example="",  # nothing to sample: train says the eval command (cli/train.py)
        preview=preview_labels,
        write=refuse_label_files,
        metrics=("accuracy",),
        default_metrics=("accuracy",),
        colour_mode=True,
    )
)
MESH = _register(
    OutputKind(
        "mesh",
        item_unit="items",
        words="3-D meshes (voxel grids)",
        default_count=4,
        sample_example="--n 4 --out shapes/",
        preview=preview_meshes,
        write=write_meshes,
    )
)
DENOISED_AUDIO = _register(
    OutputKind(
        "denoised-audio",
        item_unit="clips",
        words="denoised speech",
        default_count=1,
        sample_example="",  # it cleans files: artgan denoise (AudioDenoiser.file_command)
        preview=preview_denoising,
        write=write_sounds,
        metrics=("pesq", "stoi", "segsnr"),
        default_metrics=("pesq", "stoi", "segsnr"),
    )
)
