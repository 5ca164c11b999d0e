"""Text data: UTF-8 decoding, the held-out split, token windows and the bundled sonnets."""

import pytest
import torch

from artgan.config import DataConfig
from artgan.data import load_dataset
from artgan.data.text import (
    TextDataset,
    decode_text,
    held_out_start,
    load_sonnets,
    load_text_file,
)
from artgan.errors import DataError


def test_decoding_drops_the_bom_and_normalises_line_ends():
    assert decode_text("\ufeffa\r\nb\rc\n".encode(), "x.txt") == "a\nb\nc\n"


def test_non_utf8_text_is_a_clear_data_error(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\xe9 au lait".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8 text .*offset 3"):
        load_text_file(path, DataConfig())


def test_held_out_part_starts_at_a_line_break():
    text = "aaaa\nbbbb\ncccc\ndddd\n"
    cut = held_out_start(text, 0.3)  # the 70 % mark (14) falls inside "cccc"; cut after it
    assert text[cut:] == "dddd\n"


def test_file_split_vocabulary_and_windows(tmp_path):
    text = "".join(f"line {i} of the poem\n" for i in range(200))
    path = tmp_path / "poem.txt"
    path.write_text(text, encoding="utf-8")
    train = load_dataset(DataConfig(source=str(path)), 16)
    test = load_dataset(DataConfig(source=str(path), split="test"), 16)
    assert isinstance(train, TextDataset) and train.kind == "text"
    assert train.vocabulary == sorted(set(text)) == test.vocabulary
    decode = "".join
    whole = decode(train.vocabulary[i] for i in torch.cat([train.tokens, test.tokens]))
    assert whole == text  # the two splits are the text, cut once, nothing lost
    assert len(test.tokens) == pytest.approx(0.1 * len(text), abs=25)
    assert torch.equal(train.held_out, test.tokens)
    assert train.spec.shape == (17,) and train.spec.vocabulary == train.vocabulary
    assert len(train) == (len(train.tokens) - 1) // 16
    assert train.x.shape == (len(train), 17)


def test_windows_are_consecutive_tokens_and_deterministic_by_generator():
    tokens = torch.arange(100)
    data = TextDataset(
        tokens, [chr(65 + i % 26) for i in range(100)], 10, report=load_sonnets(DataConfig()).report
    )
    indices = torch.tensor([0, 3, 8])  # 9 windows of 10 in 100 tokens
    a = data.get(indices, torch.Generator().manual_seed(1)).x
    b = data.get(indices, torch.Generator().manual_seed(1)).x
    assert torch.equal(a, b) and a.shape == (3, 11) and a.dtype == torch.int64
    assert torch.equal(a[:, 1:] - a[:, :-1], torch.ones(3, 10, dtype=torch.int64))
    starts = a[:, 0]
    assert ((starts >= indices * 10) & (starts < indices * 10 + 10)).all()
    assert (starts <= 100 - 11).all()  # the last window still fits


def test_sonnets_are_bundled_with_a_fixed_split():
    train = load_sonnets(DataConfig())
    test = load_sonnets(DataConfig(split="test"))
    assert len(train.vocabulary) == 62
    assert len(train.tokens) + len(test.tokens) == 95_650
    held = "".join(test.vocabulary[i] for i in test.tokens)
    assert held.startswith("Is more than my o'erpress'd defence")  # sonnet CXXXIX, line 9


def test_text_shorter_than_one_window_is_refused(tmp_path):
    path = tmp_path / "short.txt"
    path.write_text("tiny\n" * 3)
    with pytest.raises(DataError, match="fewer than one training window"):
        load_text_file(path, DataConfig(), window=100)


def test_a_single_image_file_is_not_read_as_text(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG")
    with pytest.raises(DataError, match="single file"):
        load_dataset(DataConfig(source=str(path)))
