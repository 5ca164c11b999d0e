"""Responsible generation end to end: `artgan data scan`, training that leaves do-not-train
files out and records the dataset manifest hash and a model card, `artgan sample` whose files
are signed and watermarked (and whose --originality-guard catches a planted copy),
`artgan verify` (valid / tampered / absent) and `artgan keys init` with your own certificate."""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.datasets import load_digits

pytest.importorskip("c2pa")

from artgan.cli.main import main  # noqa: E402
from artgan.data.consent import MANIFEST_FILE, scan_folder  # noqa: E402
from artgan.models.dcgan import DCGAN  # noqa: E402
from artgan.provenance import keys  # noqa: E402
from artgan.provenance.verify import verify_file  # noqa: E402
from tests.conftest import TINY_DCGAN_CLI  # noqa: E402
from tests.provenance.test_c2pa import png_with_edited_pixel  # noqa: E402

TINY = ["--model", "dcgan", *TINY_DCGAN_CLI]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """40 handwritten digits as 32 px PNGs under a CC-BY licence; one marked do-not-train."""
    root = tmp_path_factory.mktemp("consent") / "digits"
    root.mkdir()
    digits = load_digits().images[:40]  # (40, 8, 8) in 0..16
    for i, digit in enumerate(digits):
        pixels = (digit * 255 / 16).astype(np.uint8)
        Image.fromarray(pixels).resize((32, 32), Image.Resampling.NEAREST).save(
            root / f"d{i:02d}.png"
        )
    (root / "LICENSE").write_text("SPDX-License-Identifier: CC-BY-4.0\n")
    (root / "d07.png.json").write_text(json.dumps({"do_not_train": True, "source": "artist"}))
    return root


@pytest.fixture(scope="module")
def run_dir(folder, tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "run"
    with pytest.warns(UserWarning, match="excluded 1 file"):
        code = main(["train", *TINY, "--data", str(folder), "--steps", "2", "--run-dir", str(path)])
    assert code == 0
    return path


def test_data_scan_writes_the_manifest(folder, capsys):
    assert main(["data", "scan", str(folder)]) == 0
    out = capsys.readouterr().out
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["manifest_sha256"] == scan_folder(folder).sha256 and manifest["count"] == 40
    assert manifest["excluded"] == 1 and manifest["licences"] == {"CC-BY-4.0": 39}
    assert "d07.png: sidecar marks it do-not-train" in out and manifest["manifest_sha256"] in out


def test_training_records_the_manifest_hash_and_writes_a_model_card(folder, run_dir):
    digest = scan_folder(folder).sha256
    meta = json.loads(next((run_dir / "checkpoints").glob("step-*/config.json")).read_text())
    report = meta["data"]["report"]
    assert report["manifest_sha256"] == digest
    assert report["count"] == 39 and report["excluded_files"] == [
        "d07.png (sidecar marks it do-not-train)"
    ]
    card = (run_dir / "MODEL_CARD.md").read_text()
    assert card.startswith("---\nlibrary_name: artgan")
    for heading in (
        "## Model Details",
        "### Out-of-Scope Use",
        "### Training Data",
        "## Evaluation",
        "## Bias, Risks, and Limitations",
        "## Ethical Considerations",
    ):
        assert heading in card
    assert digest in card and "CC-BY-4.0: 39 file(s)" in card and "d07.png" in card
    assert "Weights SHA-256" in card and "Not evaluated yet" in card


def test_model_card_shows_metrics_when_the_run_was_evaluated(run_dir):
    from artgan.training.model_card import render_model_card

    entry = {
        "run": run_dir.name,
        "step": 2,
        "family": "dcgan",
        "n": {"generated": 10},
        "metrics": {"fid": 123.4},
        "floor": {"fid": 5.0},
    }
    (run_dir / "metrics.json").write_text(json.dumps([entry]))
    try:
        card = render_model_card(run_dir)
    finally:
        (run_dir / "metrics.json").unlink()
    assert "FID" in card and "123.4" in card


def test_sampled_files_are_signed_watermarked_and_carry_the_dataset_hash(
    folder, run_dir, tmp_path, capsys
):
    grid = tmp_path / "grid.png"  # 5 x 5 tiles of 32 px: 172 px, large enough to watermark
    assert main(["sample", str(run_dir), "--n", "25", "--out", str(grid)]) == 0
    capsys.readouterr()
    assert main(["verify", str(grid)]) == 0
    out = capsys.readouterr().out
    assert "manifest valid (embedded)" in out and "trainedAlgorithmicMedia" in out
    assert "watermark  found" in out and "matches the record" in out
    report = verify_file(grid)
    assert report.record["dataset_manifest_sha256"] == scan_folder(folder).sha256

    stripped = tmp_path / "stripped.png"
    Image.open(grid).save(stripped)
    assert main(["verify", str(stripped)]) == 1
    out = capsys.readouterr().out
    assert "manifest absent" in out and "watermark  found" in out

    grid.write_bytes(png_with_edited_pixel(grid.read_bytes()))
    assert main(["verify", "--json", str(grid)]) == 1
    assert json.loads(capsys.readouterr().out)[0]["status"] == "tampered"


def test_small_samples_say_they_are_not_watermarked(run_dir, tmp_path, capsys):
    out = tmp_path / "samples"
    assert main(["sample", str(run_dir), "--n", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["verify", str(out / "0000.png")]) == 0
    assert "watermark  none: the record says not watermarked: too small" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:excluded 1 file")  # the guard reloads the training folder
def test_originality_guard_catches_a_planted_copy(folder, run_dir, tmp_path, monkeypatch, capsys):
    copy = np.asarray(Image.open(folder / "d03.png"), dtype=np.float32) / 127.5 - 1.0
    original_sample = DCGAN.sample

    def planted(self, n, seed=None, **options):
        images = original_sample(self, n, seed=seed, **options)
        if seed == 0:  # the first draw hands back a training image in slot 1
            images[1] = torch.from_numpy(copy)[None]
        return images

    monkeypatch.setattr(DCGAN, "sample", planted)
    out = tmp_path / "guarded"
    assert main(["sample", str(run_dir), "--n", "3", "--out", str(out), "--originality-guard"]) == 0
    assert "rejected 1 of 4 draws" in capsys.readouterr().out
    guard = [
        verify_file(out / f"000{i}.png").record["params"]["originality_guard"] for i in range(3)
    ]
    assert [g["redraws"] for g in guard] == [0, 1, 0]
    assert all(g["ran"] and g["distance"] > g["threshold"] for g in guard)
    slot = np.asarray(Image.open(out / "0001.png"), dtype=np.int16)
    planted_copy = np.asarray(Image.open(folder / "d03.png").convert("RGB"))
    assert np.abs(slot - planted_copy).mean() > 1  # slot 1 was redrawn: not the copy


def test_originality_guard_needs_an_image_model(tmp_path):
    from artgan.errors import ArtganError
    from artgan.originality import guard_for_model

    class Text:
        output_kind, name = "text", "charrnn"

    with pytest.raises(ArtganError, match="charrnn makes text"):
        guard_for_model(Text())


def test_keys_init_installs_your_own_certificate(tmp_path, capsys):
    chain, key, _ = keys.generate_chain("my studio")
    (tmp_path / "chain.pem").write_bytes(chain)
    (tmp_path / "key.pem").write_bytes(key)
    folder = tmp_path / "keys"
    args = ["keys", "init", "--dir", str(folder), "--cert", str(tmp_path / "chain.pem")]
    assert main([*args, "--key", str(tmp_path / "key.pem")]) == 0
    assert "installed your certificate" in capsys.readouterr().out
    identity = keys.find_signing_identity(folder)
    assert identity.cert_chain_pem == chain and "my studio" in keys.describe(identity)["subject"]
    assert main([*args]) == 2  # --cert without --key
    assert "give both --cert and --key" in capsys.readouterr().err
    assert main([*args, "--key", str(tmp_path / "key.pem")]) == 2  # exists: needs --force
