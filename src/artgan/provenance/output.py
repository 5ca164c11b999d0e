"""The one output point (DESIGN convention 6). Every generated image, animation, point set, text,
sound or mesh is written here and nowhere else, so every file carries its provenance.

Every file: signed first, in memory, with a C2PA manifest holding the generation record
(embedded in PNG, JPEG, WebP, GIF and WAV; a ``<file>.c2pa`` sidecar for text, points and
meshes; see :mod:`.marking`), then written atomically: when signing fails nothing is written, and an
existing file is never replaced by an unsigned one. Images (and GIF frames) of at least 128 px
on the short side also carry the invisible watermark; the record says "not watermarked: ..." for
everything else. Images also keep the record as plain metadata.

At most one sidecar a file, no clutter (issue 16 item 8): the signed manifest already carries
the generation record, so a sound has none (its manifest is inside the WAV) and a text or point
file has only its ``<file>.c2pa``. Only where nothing is signed (a broken install without
c2pa-python) does a sound, text or point file get a plain ``<file>.artgan.json`` instead, so its
record is never lost. :func:`read_record` reads the record from wherever it is.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from ..atomic import atomic_write_bytes
from ..audio import wav_bytes
from ..data.image_limits import sizes_checked_here
from ..errors import ArtganError
from .c2pa_sign import sidecar_path as c2pa_sidecar_path
from .marking import NOT_IMAGE, sign_bytes, watermark_frames, watermark_image
from .record import GenerationRecord

IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
RECORD_KEY = "artgan"


def to_pil(image) -> Image.Image:
    """A uint8 (H, W), (H, W, C) array or a PIL image -> PIL image."""
    if isinstance(image, Image.Image):
        return image
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise TypeError("images must be uint8 arrays")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    return Image.fromarray(array)


def _encode_image(image: Image.Image, fmt: str, record: GenerationRecord) -> bytes:
    buffer = io.BytesIO()
    text = _record_json(record, sort_keys=True)
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt(RECORD_KEY, text)
        image.save(buffer, format="PNG", pnginfo=info)
    elif fmt == "JPEG":
        image.convert("RGB").save(buffer, format="JPEG", quality=95, comment=text.encode())
    else:
        image.save(buffer, format=fmt, lossless=True)
    return buffer.getvalue()


def image_format(path: Path) -> str:
    fmt = IMAGE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ArtganError(
            f"cannot write {path.name}: image outputs must end in {', '.join(IMAGE_FORMATS)}"
        )
    return fmt


def write_image(image, path: str | Path, record: GenerationRecord) -> Path:
    path = Path(path)
    fmt = image_format(path)
    marked, record = watermark_image(to_pil(image), record)
    return _publish(path, _encode_image(marked, fmt, record), record)


NOT_ART = "not watermarked: a plot or diagram, not generated art (signed)"


def write_diagram(image, path: str | Path, record: GenerationRecord) -> Path:
    """A plot or diagram made from generated data (a scatter plot, a spectrogram sheet): signed
    and recorded like every output, but never watermarked, so its flat white areas stay flat."""
    path = Path(path)
    fmt = image_format(path)
    record = record.with_watermark(NOT_ART)
    return _publish(path, _encode_image(to_pil(image), fmt, record), record)


def write_gif(frames: list, path: str | Path, record: GenerationRecord, duration_ms: int = 80):
    """An animation (GIF, looping) with the record in its comment block; every frame carries
    the watermark when large enough."""
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ArtganError(f"animations are written as .gif, got {path.name}")
    if not frames:
        raise ArtganError(f"no frames to write to {path.name}")
    pil_frames, record = watermark_frames([to_pil(f).convert("RGB") for f in frames], record)
    buffer = io.BytesIO()
    pil_frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=pil_frames[1:],
        duration=duration_ms,
        loop=0,
        comment=_record_json(record, sort_keys=True).encode(),
    )
    return _publish(path, buffer.getvalue(), record)


def write_points(points: np.ndarray, path: str | Path, record: GenerationRecord) -> Path:
    """2-D (or N-D) samples as .npy or .csv, with the signed record in ``<file>.c2pa``."""
    path = Path(path)
    suffix = path.suffix.lower()
    record = record.with_watermark(NOT_IMAGE.format(kind="points"))
    if suffix == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(points, dtype=np.float32))
        data = buffer.getvalue()
    elif suffix == ".csv":
        lines = [",".join(f"{v:.6g}" for v in row) for row in np.asarray(points)]
        data = ("\n".join(lines) + "\n").encode("utf-8")
    else:
        raise ArtganError(f"points are written as .npy or .csv, got {path.name}")
    return _publish(path, data, record, sidecar=True)


def write_text(text: str, path: str | Path, record: GenerationRecord) -> Path:
    path = Path(path)
    record = record.with_watermark(NOT_IMAGE.format(kind="text"))
    return _publish(path, text.encode("utf-8"), record, sidecar=True)


def write_audio(samples, sample_rate: int, path: str | Path, record: GenerationRecord) -> Path:
    """A sound in [-1, 1], (T,) or (channels, T), as 16-bit PCM WAV; the signed record is
    inside the file."""
    path = Path(path)
    if path.suffix.lower() != ".wav":
        raise ArtganError(f"sounds are written as .wav, got {path.name}")
    record = record.with_watermark(NOT_IMAGE.format(kind="audio"))
    return _publish(path, wav_bytes(samples, sample_rate), record, sidecar=True)


MESH_SUFFIXES = (".glb", ".obj")


def write_mesh(data: bytes, path: str | Path, record: GenerationRecord) -> Path:
    """A 3-D mesh file's bytes (binary glTF or OBJ, see mesh.py), with the signed record in
    ``<file>.c2pa``."""
    path = Path(path)
    if path.suffix.lower() not in MESH_SUFFIXES:
        raise ArtganError(f"meshes are written as .glb or .obj, got {path.name}")
    record = record.with_watermark(NOT_IMAGE.format(kind="mesh"))
    return _publish(path, data, record, sidecar=True)


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".artgan.json")


def write_sidecar(path: Path, record: GenerationRecord) -> None:
    _write(sidecar_path(path), (_record_json(record, indent=2) + "\n").encode("utf-8"))


def _record_json(record: GenerationRecord, **options) -> str:
    try:
        return json.dumps(record.to_dict(), allow_nan=False, **options)
    except ValueError as error:  # a NaN or infinity the record's own check did not see
        raise ArtganError(f"the generation record is not valid JSON ({error})") from None


def _publish(path: Path, data: bytes, record: GenerationRecord, sidecar: bool = False) -> Path:
    """Sign ``data`` first, then write it (and its one sidecar, if any) atomically: a failed
    signature leaves every existing file as it was. ``sidecar``: the format has no place for
    the plain record, so an unsigned file (no c2pa-python) gets ``<file>.artgan.json``."""
    signed, manifest = sign_bytes(data, path, record)
    plain = sidecar and manifest is None and signed is data  # nothing signed
    if manifest is not None:
        _write(c2pa_sidecar_path(path), manifest)
    elif plain:  # the plain record is all there is
        write_sidecar(path, record)
    _write(path, signed)
    for stale in _stale_sidecars(path, manifest, plain):
        stale.unlink()  # an earlier write's sidecar would describe other bytes
    return path


def _stale_sidecars(path: Path, manifest: bytes | None, plain: bool) -> list[Path]:
    """Sidecars left beside ``path`` by an earlier write that this one does not renew."""
    keep = {c2pa_sidecar_path(path)} if manifest is not None else set()
    if plain:
        keep.add(sidecar_path(path))
    candidates = (sidecar_path(path), c2pa_sidecar_path(path))
    return [p for p in candidates if p not in keep and p.is_file()]


def _write(path: Path, data: bytes) -> None:
    """Atomic write; a folder that cannot be made or written is one clear error."""
    try:
        atomic_write_bytes(path, data)
    except IsADirectoryError:
        raise ArtganError(f"cannot write {path}: a folder of that name exists") from None
    except OSError as error:
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        why = f"{blocker} is a file, not a folder" if blocker else error.strerror or str(error)
        raise ArtganError(f"cannot write {path}: {why}") from None


@sizes_checked_here()  # only the header is read; a huge image has no record to give
def read_record(path: str | Path) -> dict | None:
    """The generation record embedded in (or beside) a file artgan wrote, if any: the plain
    metadata of an image, else the signed manifest (inside a WAV, or ``<file>.c2pa``), else an
    unsigned file's ``<file>.artgan.json``."""
    path = Path(path)
    side = sidecar_path(path)
    if side.is_file():
        return json.loads(side.read_text(encoding="utf-8"))
    if path.suffix.lower() not in IMAGE_FORMATS and path.suffix.lower() != ".gif":
        from .verify import verify_file

        return verify_file(path, watermark=False).record if path.is_file() else None
    try:
        with Image.open(path) as image:
            text = image.info.get(RECORD_KEY) or image.info.get("comment")
    except (OSError, Image.DecompressionBombError):
        return None
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        return json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
