"""Text for character-level language models: any UTF-8 file, or the bundled sonnets.

The text is read as UTF-8 (a byte-order mark is dropped, CRLF becomes LF), its distinct
characters sorted into the vocabulary, and the character stream encoded as token ids. The last
``held_out_fraction`` of the characters (10 % when the option is 0), cut at a line break, is
held out of training for bits-per-character evaluation, as char-rnn does (Karpathy 2015).

A training item is a window of ``window + 1`` consecutive tokens: inputs are its first
``window``, targets the same shifted by one. Item ``i`` starts near ``i * window`` with a random
offset in [0, window) drawn per batch (deterministic by the batch counter), so one epoch covers
the text once and each epoch cuts it at different places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import torch

from ..config import DataConfig
from ..errors import DataError
from ..registry import DATASETS
from .dataset import DataReport
from .types import Batch, DataSpec

DEFAULT_WINDOW = 100
DEFAULT_HELD_OUT = 0.1
CORPUS_FILES = {"sonnets": "sonnets.txt"}


@dataclass
class TextSpec(DataSpec):
    """A DataSpec with the characters a model must be able to read and write."""

    vocabulary: list[str] = field(default_factory=list)


def decode_text(data: bytes, name: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(
            f"{name} is not UTF-8 text (invalid byte at offset {error.start}); char-rnn trains "
            "on UTF-8 text files — re-save it as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def held_out_start(text: str, fraction: float) -> int:
    """Where the held-out tail begins: after the line break nearest the ``1 - fraction`` mark."""
    mark = int(round(len(text) * (1.0 - fraction)))
    newline = text.find("\n", mark)
    return newline + 1 if 0 <= newline < len(text) - 1 else mark


def encode(text: str, vocabulary: list[str]) -> torch.Tensor:
    index = {ch: i for i, ch in enumerate(vocabulary)}
    return torch.tensor([index[ch] for ch in text], dtype=torch.int64)  # (L,)


class TextDataset:
    """Token windows over one character stream, with the InMemoryDataset interface.
    ``held_out`` is the evaluation stream (empty when this dataset *is* the held-out split)."""

    def __init__(
        self,
        tokens: torch.Tensor,
        vocabulary: list[str],
        window: int,
        report: DataReport,
        held_out: torch.Tensor | None = None,
    ):
        if window < 1:
            raise DataError(f"the text window must be at least 1 character, got {window}")
        if len(tokens) < window + 1:
            raise DataError(
                f"{report.name}: {len(tokens)} characters are fewer than one training window of "
                f"{window + 1}; use a longer text or a shorter --model.seq_len"
            )
        self.tokens = tokens
        self.vocabulary = list(vocabulary)
        self.window = window
        self.report = report
        self.held_out = held_out if held_out is not None else torch.zeros(0, dtype=torch.int64)
        self.class_names: list[str] = []
        self.y = None

    @property
    def kind(self) -> str:
        return "text"

    @property
    def x(self) -> torch.Tensor:
        """Windows at offset 0: a view (N, window + 1), consecutive windows share one token."""
        return self.tokens.unfold(0, self.window + 1, self.window)

    def __len__(self) -> int:
        return (len(self.tokens) - 1) // self.window

    @property
    def spec(self) -> TextSpec:
        return TextSpec(shape=(self.window + 1,), vocabulary=self.vocabulary)

    def to(self, device: torch.device) -> TextDataset:
        self.tokens = self.tokens.to(device)
        return self

    def get(self, indices: torch.Tensor, generator: torch.Generator | None = None) -> Batch:
        last_start = len(self.tokens) - self.window - 1
        offsets = torch.randint(0, self.window, (len(indices),), generator=generator)
        starts = (indices.cpu() * self.window + offsets).clamp_(max=last_start)
        positions = starts[:, None] + torch.arange(self.window + 1)  # (B, window + 1)
        return Batch(self.tokens[positions.to(self.tokens.device)])


def text_dataset(text: str, name: str, config: DataConfig, window: int | None) -> TextDataset:
    """Split ``text`` into training and held-out streams and build the ``config.split`` one."""
    if not text:
        raise DataError(f"{name} is empty")
    window = window or DEFAULT_WINDOW
    fraction = config.held_out_fraction or DEFAULT_HELD_OUT
    cut = held_out_start(text, fraction)
    vocabulary = sorted(set(text))
    train, held_out = text[:cut], text[cut:]
    if config.limit:  # at most ``limit`` windows
        train = train[: config.limit * window + 1]
    report = DataReport(name=name)
    report.notes.append(
        f"{len(text):,} characters, {len(vocabulary)} distinct; the last {len(held_out):,} "
        f"({fraction:.0%}) are held out for evaluation"
    )
    if config.split == "test":
        dataset = TextDataset(encode(held_out, vocabulary), vocabulary, window, report)
    else:
        dataset = TextDataset(
            encode(train, vocabulary),
            vocabulary,
            window,
            report,
            held_out=encode(held_out, vocabulary),
        )
    report.count = len(dataset)
    return dataset


def load_text_file(path: Path, config: DataConfig, window: int | None = None) -> TextDataset:
    """Any UTF-8 text file (``--data poems.txt``)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}") from None
    limit = config.in_memory_limit_mb * 2**20
    if len(data) * 8 > limit:  # int64 tokens
        raise DataError(
            f"{path.name} ({len(data) / 2**20:.0f} MB) would take more than "
            f"data.in_memory_limit_mb={config.in_memory_limit_mb} as tokens; raise the limit"
        )
    return text_dataset(decode_text(data, path.name), path.name, config, window)


def corpus_text(name: str) -> str:
    """The text of a bundled corpus (artgan/data/corpus/)."""
    return (resources.files("artgan.data") / "corpus" / CORPUS_FILES[name]).read_text("utf-8")


@DATASETS.register("sonnets")
def load_sonnets(config: DataConfig, window: int | None = None) -> TextDataset:
    """Shakespeare's sonnets (public domain, bundled): 95,650 characters, 62 distinct."""
    return text_dataset(corpus_text("sonnets"), "sonnets", config, window)
