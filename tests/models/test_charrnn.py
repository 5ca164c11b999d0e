"""char-RNN: sampling options and determinism, truncated BPTT, clipping, the run end to end."""

import pytest
import torch

import artgan
from artgan.cli.main import main
from artgan.config import TrainConfig
from artgan.data.text import TextSpec
from artgan.errors import ConfigError
from artgan.models.base import Batch, DataSpec
from artgan.models.charrnn import CharRNN, CharRNNConfig
from artgan.provenance.output import read_record

VOCAB = list("\n abcdefgh")


def model(seed: int = 0, **options) -> CharRNN:
    torch.manual_seed(seed)
    config = {"vocabulary": VOCAB, "width": 8, "seq_len": 12, "bptt": 4, **options}
    return CharRNN(CharRNNConfig(**config))


def test_sampling_is_deterministic_by_seed_and_keeps_the_prime():
    m = model()
    a = m.generate_text(3, seed=5, prime="bad cafe", length=30, temperature=0.9, top_k=4)
    assert a == m.generate_text(3, seed=5, prime="bad cafe", length=30, temperature=0.9, top_k=4)
    assert a != m.generate_text(3, seed=6, prime="bad cafe", length=30, temperature=0.9, top_k=4)
    assert all(t.startswith("bad cafe") and len(t) == 38 for t in a)
    assert len(set(a)) > 1  # the rows of one call are different draws


def test_temperature_zero_and_top_k_one_are_greedy():
    m = model()
    greedy = m.generate_text(2, seed=1, prime="a", length=20, temperature=0)
    assert (
        greedy[0]
        == greedy[1]
        == m.generate_text(1, seed=99, prime="a", length=20, temperature=0)[0]
    )
    assert m.generate_text(2, seed=7, prime="a", length=20, top_k=1) == greedy


def test_top_k_only_draws_among_the_k_most_likely():
    m = model()
    with torch.no_grad():  # make the read-out prefer 'c', 'd' whatever the input
        m.net.head.weight.zero_()
        m.net.head.bias.copy_(torch.tensor([0, 0, 0, 0, 3.0, 3.0, 0, 0, 0, 0]))
    text = m.generate_text(8, seed=0, prime="a", length=40, temperature=2.0, top_k=2)
    assert set("".join(t[1:] for t in text)) == {"c", "d"}


def test_unknown_prime_characters_and_bad_options_are_config_errors():
    m = model()
    with pytest.raises(ConfigError, match="never saw: 'XZ'"):
        m.generate_text(1, seed=0, prime="aXbZ")
    with pytest.raises(ConfigError, match="temperature"):
        m.generate_text(1, seed=0, temperature=-1)


def test_truncated_bptt_changes_gradients_not_the_loss():
    batch = Batch(torch.randint(len(VOCAB), (4, 13), generator=torch.Generator().manual_seed(0)))
    full, cut = model(bptt=0), model(bptt=4)
    cut.load_state_dict(full.state_dict())
    losses = [m.train_step("LM", batch, 0) for m in (full, cut)]
    torch.testing.assert_close(losses[0]["loss"], losses[1]["loss"])
    assert losses[0]["train_bpc"] == pytest.approx(losses[0]["loss"].item() / 0.6931472, rel=1e-5)
    for loss in losses:
        loss["loss"].backward()
    g_full, g_cut = full.net.rnn.weight_hh_l0.grad, cut.net.rnn.weight_hh_l0.grad
    assert not torch.allclose(g_full, g_cut)


def test_phase_clips_gradients_and_data_sets_the_vocabulary():
    m = model(grad_clip=2.5)
    (phase,) = m.phases(TrainConfig())
    assert phase.clip_grad_norm == 2.5 and phase.modules == ["net"]
    c = CharRNNConfig().with_data(TextSpec(shape=(13,), vocabulary=["x", "y"]))
    assert c.vocabulary == ["x", "y"]
    with pytest.raises(ConfigError, match="needs text data"):
        CharRNNConfig().with_data(DataSpec(shape=(1, 32, 32)))


def test_a_periodic_text_is_learned_to_near_zero_bits():
    torch.manual_seed(0)
    m = CharRNN(CharRNNConfig(vocabulary=VOCAB, width=16, layers=1, seq_len=16, bptt=8))
    stream = torch.tensor([VOCAB.index(c) for c in "abcd" * 200])
    opt = torch.optim.Adam(m.parameters(), 1e-2)
    for step in range(80):
        starts = torch.randint(0, len(stream) - 17, (8,))
        batch = Batch(stream[starts[:, None] + torch.arange(17)])
        loss = m.train_step("LM", batch, step)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert m.train_step("LM", batch, 0)["train_bpc"] < 0.1
    assert m.generate_text(1, seed=0, prime="ab", length=8, temperature=0.5)[0] == "abcdabcdab"


def test_train_and_sample_from_the_command_line(tmp_path):
    poems = tmp_path / "poems.txt"
    poems.write_text("".join(f"Shall I compare thee to a summer's day {i}?\n" for i in range(60)))
    run = tmp_path / "t"
    assert (
        main(
            [
                "train",
                "--model",
                "charrnn",
                "--data",
                str(poems),
                "--steps",
                "3",
                "--run-dir",
                str(run),
                "--model.width",
                "8",
                "--model.seq_len",
                "16",
                "--model.bptt",
                "8",
                "--batch-size",
                "4",
                "--train.progress",
                "false",
                "--train.tensorboard",
                "false",
                "--train.sample_every",
                "2",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in (run / "samples").glob("*.txt")) == [
        "step-00000002.txt",
        "step-00000003.txt",
    ]
    loaded = artgan.load(run)
    assert loaded.vocabulary == sorted(set(poems.read_text()))
    out = [tmp_path / f"{k}.txt" for k in "abc"]
    for path, seed in zip(out, (1, 1, 2)):
        assert (
            main(
                [
                    "sample",
                    str(run),
                    "--prime",
                    "Shall I compare",
                    "--length",
                    "50",
                    "--temperature",
                    "0.8",
                    "--top-k",
                    "5",
                    "--seed",
                    str(seed),
                    "--out",
                    str(path),
                ]
            )
            == 0
        )
    texts = [p.read_text() for p in out]
    assert texts[0] == texts[1] != texts[2]
    assert texts[0].startswith("Shall I compare") and len(texts[0]) == 15 + 50 + 1
    record = read_record(out[0])
    assert record["model_family"] == "charrnn"
    assert record["params"]["prime"] == "Shall I compare" and record["params"]["top_k"] == 5
    assert main(["sample", str(run), "--prime", "\u00e6", "--out", str(tmp_path / "x.txt")]) == 2


def test_a_resumed_run_refuses_a_changed_text(tmp_path):
    poems = tmp_path / "poems.txt"
    poems.write_text("abc abc abc\n" * 40)
    run = artgan.train(
        {
            "model": {"name": "charrnn", "width": 4, "seq_len": 8, "bptt": 4},
            "data": {"source": str(poems)},
            "train": {"steps": 1, "batch_size": 2, "progress": False, "tensorboard": False},
            "run_dir": str(tmp_path / "r"),
        }
    )
    poems.write_text("xyz xyz xyz\n" * 40)
    with pytest.raises(ConfigError, match="differ from the model's vocabulary"):
        artgan.train(resume=run, steps=2)
