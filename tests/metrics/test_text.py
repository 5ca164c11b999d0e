"""Bits per character: known answers, and independence from how the stream is chunked."""

import math

import pytest
import torch

from artgan.config import DataConfig
from artgan.data.text import load_sonnets
from artgan.errors import DataError
from artgan.metrics.text import bits_per_character, held_out_bpc, remap
from artgan.models.charrnn import CharRNN, CharRNNConfig


def charrnn(vocabulary, seed: int = 0) -> CharRNN:
    torch.manual_seed(seed)
    return CharRNN(CharRNNConfig(vocabulary=list(vocabulary), width=8, layers=2))


def test_a_uniform_model_scores_log2_of_the_vocabulary():
    m = charrnn("abcdefg")
    with torch.no_grad():
        m.net.head.weight.zero_()
        m.net.head.bias.zero_()
    tokens = torch.randint(7, (5000,), generator=torch.Generator().manual_seed(0))
    result = bits_per_character(m, tokens)
    assert result["bpc"] == pytest.approx(math.log2(7), rel=1e-6)
    assert result["characters"] == 4999 and result["streams"] == 2


def test_chunk_size_does_not_change_the_answer_and_streams_cost_little():
    m = charrnn("abcdefg")
    tokens = torch.randint(7, (3001,), generator=torch.Generator().manual_seed(1))
    one = bits_per_character(m, tokens, max_streams=1, chunk=3000)["bpc"]
    assert bits_per_character(m, tokens, max_streams=1, chunk=7)["bpc"] == pytest.approx(
        one, rel=1e-5
    )
    several = bits_per_character(m, tokens, max_streams=3, min_stream=1000, chunk=13)
    assert several["streams"] == 3 and several["bpc"] == pytest.approx(one, rel=0.01)


def test_held_out_bpc_reads_the_held_out_part_in_the_models_vocabulary():
    data = load_sonnets(DataConfig())
    m = charrnn(reversed(data.vocabulary))  # same characters, other ids
    result = held_out_bpc(m, data)
    assert result["characters"] == len(data.held_out) - 1
    test = load_sonnets(DataConfig(split="test"))
    assert held_out_bpc(m, test)["bpc"] == pytest.approx(result["bpc"], rel=1e-6)


def test_remap_refuses_characters_the_model_never_saw():
    tokens = torch.tensor([0, 1, 2])
    assert remap(tokens, ["a", "b", "c"], ["c", "b", "a"]).tolist() == [2, 1, 0]
    with pytest.raises(DataError, match="never saw: 'c'"):
        remap(tokens, ["a", "b", "c"], ["a", "b"])
    assert remap(torch.tensor([0, 1]), ["a", "b", "c"], ["a", "b"]).tolist() == [0, 1]


def test_evaluate_bpc_scores_the_held_out_part_of_a_data_source():
    from artgan.metrics.text import evaluate_bpc

    data = load_sonnets(DataConfig())
    result = evaluate_bpc(charrnn(data.vocabulary), DataConfig(source="sonnets"))
    assert result["characters"] == 9_516 and result["data"] == "sonnets"
    assert 5.0 < result["bpc"] < 7.0  # an untrained model is near uniform (log2 62 = 5.95)


def test_the_model_reports_held_out_bpc_for_the_trainer():
    data = load_sonnets(DataConfig())
    m = charrnn(data.vocabulary)
    assert m.evaluate(data) == {"held_out_bpc": held_out_bpc(m, data)["bpc"]}
    assert m.evaluate(load_sonnets(DataConfig(split="test"))) == {}  # nothing held out there
