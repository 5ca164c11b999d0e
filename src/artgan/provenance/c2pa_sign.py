"""Signed C2PA Content Credentials for generated files (C2PA technical specification 2.x,
through the ``c2pa-python`` bindings to the Content Authenticity Initiative's c2pa-rs).

Each manifest says, in a signed claim bound to the file's bytes by a data hash:
  * ``c2pa.actions``: one ``c2pa.created`` action whose digitalSourceType is IPTC's
    ``trainedAlgorithmicMedia`` (the standard label for content made by a trained model);
  * ``org.artgan.generation``: artgan's generation record (model family, run id, weights
    SHA-256, seed, parameters, dataset manifest hash, artgan version);
  * the claim generator (``artgan`` and its version) and the file name as title.

PNG, JPEG, WebP, GIF and WAV carry the manifest inside the file. Other files (text, .npy,
.csv) get a detached manifest store beside them, ``<file>.c2pa``: c2pa-python signs any byte
stream as ``application/octet-stream`` with a whole-file data hash when told not to embed, and
its Reader validates such a store against the file's bytes, so the sidecar is real C2PA
rather than a home-made signature format.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path

from ..atomic import atomic_write
from ..c2pa_formats import EMBEDDABLE, OFFLINE_SETTINGS  # re-exported: verify, tests
from ..errors import ConfigError, DataError
from ..version import __version__
from .keys import SigningIdentity

GENERATION_LABEL = "org.artgan.generation"
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
SIDECAR_SUFFIX = ".c2pa"
DETACHED_FORMAT = "application/octet-stream"  # whole-file data hash, any bytes


def require_c2pa():
    """The ``c2pa`` module, or a clear error when c2pa-python is missing."""
    try:
        import c2pa
    except ImportError as error:
        raise ConfigError(
            "C2PA Content Credentials need c2pa-python, an artgan dependency: "
            "pip install c2pa-python"
        ) from error
    return c2pa


def sidecar_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def embeddable(path: str | Path) -> bool:
    return Path(path).suffix.lower() in EMBEDDABLE


def manifest_definition(title: str, record: Mapping) -> dict:
    """The manifest artgan signs for one generated file."""
    return {
        "claim_generator_info": [{"name": "artgan", "version": __version__}],
        "title": title,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                            "softwareAgent": {"name": "artgan", "version": __version__},
                        }
                    ]
                },
            },
            {"label": GENERATION_LABEL, "data": dict(record)},
        ],
    }


def _record_dict(record) -> dict:
    # Accept a GenerationRecord as well as its dict form.
    return record.to_dict() if hasattr(record, "to_dict") else dict(record)


def _builder(c2pa, path: Path, record, identity: SigningIdentity, ingredient):
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(identity.alg, identity.cert_chain_pem, identity.private_key_pem, None)
    )
    context = c2pa.Context.from_dict(OFFLINE_SETTINGS, signer=signer)
    builder = c2pa.Builder(manifest_definition(path.name, _record_dict(record)), context=context)
    if ingredient is not None:
        _add_ingredient(builder, Path(ingredient))
    return builder


def _add_ingredient(builder, ingredient: Path) -> None:
    """A source file the output was made from (e.g. the photo a translation model restyled).
    ``inputTo`` keeps the claim a creation; the ingredient's own credentials, if any, are kept."""
    if not ingredient.is_file():
        raise DataError(f"ingredient file not found: {ingredient}")
    fmt = EMBEDDABLE.get(ingredient.suffix.lower(), DETACHED_FORMAT)
    with open(ingredient, "rb") as stream:
        builder.add_ingredient({"title": ingredient.name, "relationship": "inputTo"}, fmt, stream)


def _signing_error(c2pa, error: Exception, path: Path, identity: SigningIdentity) -> ConfigError:
    if isinstance(error, c2pa.C2paError.Signature):
        return ConfigError(
            f"the C2PA library refused the signing certificate {identity.paths.cert_chain} "
            f"({error}); a signer certificate needs the digitalSignature key usage, an EKU such "
            "as emailProtection and key identifiers, or run `artgan keys init --force`"
        )
    return ConfigError(f"could not sign {path.name}: {error}")


def sign_file(path: str | Path, record, identity: SigningIdentity, ingredient=None) -> Path:
    """Embed a signed manifest into a PNG, JPEG, WebP, GIF or WAV file, in place and
    atomically (the signed copy is written beside it, then renamed over it)."""
    c2pa = require_c2pa()
    path = Path(path)
    fmt = EMBEDDABLE.get(path.suffix.lower())
    if fmt is None:
        raise DataError(
            f"cannot embed C2PA credentials in {path.name}; embeddable formats are "
            f"{', '.join(EMBEDDABLE)} (use sign_sidecar for others)"
        )
    if not path.is_file():
        raise DataError(f"no file to sign at {path}")
    builder = _builder(c2pa, path, record, identity, ingredient)
    mode = path.stat().st_mode & 0o777

    def write(tmp: Path) -> None:
        with open(path, "rb") as source, open(tmp, "w+b") as dest:
            builder.sign(fmt, source, dest)
        os.chmod(tmp, mode)  # the temporary file is 0600; keep the original's permissions

    try:
        atomic_write(path, write)
    except c2pa.C2paError as error:
        raise _signing_error(c2pa, error, path, identity) from error
    return path


def sign_sidecar(path: str | Path, record, identity: SigningIdentity, ingredient=None) -> Path:
    """Write a detached, signed manifest store ``<file>.c2pa`` bound to ``path``'s bytes."""
    c2pa = require_c2pa()
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no file to sign at {path}")
    builder = _builder(c2pa, path, record, identity, ingredient)
    builder.set_no_embed()
    try:
        with open(path, "rb") as source:
            # With no_embed the asset is only hashed; the copy written to dest is discarded.
            manifest_store = builder.sign(DETACHED_FORMAT, source, io.BytesIO())
    except c2pa.C2paError as error:
        raise _signing_error(c2pa, error, path, identity) from error
    target = sidecar_path(path)

    def write(tmp: Path) -> None:
        tmp.write_bytes(manifest_store)
        os.chmod(tmp, 0o644)

    atomic_write(target, write)
    return target


def sign_bytes(
    data: bytes, path: str | Path, record, identity: SigningIdentity, ingredient=None
) -> tuple[bytes, bytes | None]:
    """Sign a file's bytes before they reach the disk (so a failed signature writes nothing):
    ``(signed bytes, None)`` where the format embeds a manifest, else ``(data, manifest store)``
    with the store meant for ``<path>.c2pa``."""
    c2pa = require_c2pa()
    path = Path(path)
    fmt = EMBEDDABLE.get(path.suffix.lower())
    try:
        builder = _builder(c2pa, path, record, identity, ingredient)
        if fmt is not None:
            signed = io.BytesIO()
            builder.sign(fmt, io.BytesIO(data), signed)
            return signed.getvalue(), None
        builder.set_no_embed()
        # With no_embed the asset is only hashed; the copy written to dest is discarded.
        return data, builder.sign(DETACHED_FORMAT, io.BytesIO(data), io.BytesIO())
    except c2pa.C2paError as error:
        raise _signing_error(c2pa, error, path, identity) from error


def sign_output(path: str | Path, record, identity: SigningIdentity, ingredient=None) -> Path:
    """Sign any generated file: embedded where the format allows, else a sidecar.
    Returns the file holding the manifest."""
    if embeddable(path):
        return sign_file(path, record, identity, ingredient)
    return sign_sidecar(path, record, identity, ingredient)
