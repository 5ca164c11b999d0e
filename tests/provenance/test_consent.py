"""Dataset consent: the manifest (hashes, sizes, licences, sources), do-not-train marks by
sidecar or embedded C2PA training-mining assertion, and their exclusion from training."""

import hashlib
import io
import json
import warnings

import numpy as np
import pytest
from PIL import Image

from artgan.config import DataConfig
from artgan.data import load_dataset
from artgan.data.consent import scan_folder
from artgan.errors import DataError


def make_folder(root, n=6, size=(40, 30)):
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / f"img{i}.png")
    return root


def sign_with_training_mining(path, use: str, label: str = "c2pa.training-mining"):
    """Embed a C2PA manifest (as a camera or an artist's tool would) with a TDM assertion."""
    c2pa = pytest.importorskip("c2pa")
    from artgan.provenance import keys
    from artgan.provenance.c2pa_sign import OFFLINE_SETTINGS

    identity = keys.ensure_signing_identity()
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(identity.alg, identity.cert_chain_pem, identity.private_key_pem, None)
    )
    prefix = label.split(".")[0]
    definition = {
        "claim_generator_info": [{"name": "camera", "version": "1"}],
        "title": path.name,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": "http://cv.iptc.org/newscodes/"
                            "digitalsourcetype/digitalCapture",
                        }
                    ]
                },
            },
            {"label": label, "data": {"entries": {f"{prefix}.ai_training": {"use": use}}}},
        ],
    }
    builder = c2pa.Builder(
        definition, context=c2pa.Context.from_dict(OFFLINE_SETTINGS, signer=signer)
    )
    source = path.read_bytes()
    out = io.BytesIO()
    builder.sign("image/png", io.BytesIO(source), out)
    path.write_bytes(out.getvalue())


def test_manifest_records_hash_size_dimensions_licence_and_source(tmp_path):
    root = make_folder(tmp_path / "paintings")
    (root / "LICENSE").write_text("Some header\nSPDX-License-Identifier: CC-BY-4.0\n")
    (root / "sub").mkdir()
    Image.new("RGB", (20, 10)).save(root / "sub" / "x.png")
    (root / "sub" / "LICENSE.txt").write_text("All rights reserved by the painter\n")
    (root / "img1.png.json").write_text(json.dumps({"licence": "CC0-1.0", "source": "http://a"}))
    manifest = scan_folder(root)
    entries = {e.path: e for e in manifest.files}
    assert set(entries) == {f"img{i}.png" for i in range(6)} | {"sub/x.png"}
    first = entries["img0.png"]
    data = (root / "img0.png").read_bytes()
    assert first.sha256 == hashlib.sha256(data).hexdigest() and first.bytes == len(data)
    assert (first.width, first.height) == (40, 30)
    assert (first.licence, first.licence_from) == ("CC-BY-4.0", "LICENSE file LICENSE")
    assert (entries["img1.png"].licence, entries["img1.png"].source) == ("CC0-1.0", "http://a")
    assert entries["sub/x.png"].licence == "All rights reserved by the painter"
    assert manifest.licences() == {
        "CC-BY-4.0": 5,
        "All rights reserved by the painter": 1,
        "CC0-1.0": 1,
    }


def test_manifest_hash_is_stable_and_follows_the_files(tmp_path):
    root = make_folder(tmp_path / "a")
    first = scan_folder(root).sha256
    assert scan_folder(root).sha256 == first  # no timestamps in the hash
    Image.new("RGB", (8, 8), "red").save(root / "img2.png")
    assert scan_folder(root).sha256 != first


@pytest.mark.parametrize(
    "side", [{"do_not_train": True}, {"train": False}, {"ai_training": "notAllowed"}]
)
def test_sidecar_marks_do_not_train(tmp_path, side):
    root = make_folder(tmp_path / "a")
    (root / "img3.json").write_text(json.dumps(side))  # <stem>.json works too
    manifest = scan_folder(root)
    assert [(e.path, e.reason) for e in manifest.excluded] == [
        ("img3.png", "sidecar marks it do-not-train")
    ]


def test_c2pa_training_mining_not_allowed_is_do_not_train(tmp_path):
    root = make_folder(tmp_path / "a")
    sign_with_training_mining(root / "img0.png", "notAllowed")
    sign_with_training_mining(root / "img1.png", "notAllowed", label="cawg.training-mining")
    sign_with_training_mining(root / "img2.png", "allowed")
    excluded = {e.path: e.reason for e in scan_folder(root).excluded}
    assert set(excluded) == {"img0.png", "img1.png"}
    assert "c2pa.ai_training notAllowed" in excluded["img0.png"]
    assert "cawg.ai_training notAllowed" in excluded["img1.png"]


def test_bad_sidecar_is_a_clear_error(tmp_path):
    root = make_folder(tmp_path / "a")
    (root / "img0.png.json").write_text("{not json")
    with pytest.raises(DataError, match="img0.png.json is not valid JSON"):
        scan_folder(root)


def test_folder_loader_excludes_counts_and_names_do_not_train_files(tmp_path):
    root = make_folder(tmp_path / "a")
    (root / "img4.png.json").write_text(json.dumps({"do_not_train": True}))
    with pytest.warns(UserWarning, match=r"excluded 1 file\(s\) marked do-not-train.*img4.png"):
        data = load_dataset(DataConfig(source=str(root)), 16)
    assert len(data) == 5
    assert data.report.excluded == 1
    assert data.report.excluded_files == ["img4.png (sidecar marks it do-not-train)"]
    assert data.report.manifest_sha256 == scan_folder(root).sha256
    assert data.report.to_dict()["licences"] == {"unknown": 5}


def test_streaming_folders_exclude_too(tmp_path):
    root = make_folder(tmp_path / "a")
    (root / "img0.png.json").write_text(json.dumps({"train": False}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load_dataset(DataConfig(source=str(root), in_memory_limit_mb=0), 16)
    assert len(data) == 5 and data.report.excluded == 1
    assert data.report.manifest_sha256


def test_a_folder_where_everything_is_do_not_train_is_an_error(tmp_path):
    root = make_folder(tmp_path / "a", n=2)
    for i in range(2):
        (root / f"img{i}.json").write_text(json.dumps({"do_not_train": True}))
    with pytest.raises(DataError, match="every one of the 2 images .* do-not-train"):
        load_dataset(DataConfig(source=str(root)), 16)
