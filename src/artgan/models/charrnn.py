"""Character-level recurrent language model (char-rnn: Karpathy 2015, "The Unreasonable
Effectiveness of Recurrent Neural Networks"; Karpathy, Johnson & Fei-Fei 2016, "Visualizing and
Understanding Recurrent Networks"; Graves 2013, "Generating Sequences With Recurrent Neural
Networks").

An embedding of each character, a stack of LSTM (Hochreiter & Schmidhuber 1997) or GRU (Cho et
al. 2014) layers, and a linear read-out to next-character logits, trained by cross-entropy.

Truncated backpropagation through time (Williams & Peng 1990): each training window of
``seq_len`` characters is fed in chunks of ``bptt``; the hidden state flows from one chunk into
the next but its gradient is cut there, so every loss term backpropagates at most ``bptt``
steps while the state has seen up to ``seq_len`` characters of context. Gradients are clipped
to a global norm of ``grad_clip`` (Pascanu et al. 2013). Defaults are char-rnn's (2 x 128 LSTM,
clip 5; its Adam settings are ``run_defaults``); the LSTM's forget-gate biases start at 1
(Jozefowicz et al. 2015). ``evaluate`` gives the bits per character on the data's held-out part.

Sampling feeds back one character at a time, drawn from softmax(logits / temperature),
optionally among the ``top_k`` most likely only; it starts from a prime text (or a line break)
and is deterministic by seed. The vocabulary is part of the config, so a checkpoint rebuilds it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..config import DefaultsContext, ModelConfig, budget_presets
from ..errors import ConfigError
from ..nn.modes import evaluating
from ..registry import MODELS
from .base import Batch, DataSpec, GenerativeModel, Phase, make_generator
from .capabilities import TextGenerator
from .text_bpc import held_out_bpc

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}
LN2 = math.log(2.0)


@dataclass
class CharRNNConfig(ModelConfig):
    name: ClassVar[str] = "charrnn"
    vocabulary: list[str] = field(default_factory=list)  # set from the data
    cell: str = "lstm"  # lstm | gru
    layers: int = 2
    width: int = 128  # hidden units per layer (also the embedding size)
    dropout: float = 0.0  # between layers and before the read-out
    seq_len: int = 100  # characters per training window
    bptt: int = 50  # truncation: gradients flow back at most this many steps (0 = seq_len)
    grad_clip: float = 5.0  # global gradient-norm clipping (0 = off)

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ConfigError(f"model.cell must be one of {', '.join(CELLS)}, got {self.cell!r}")
        if self.layers < 1 or self.width < 1:
            raise ConfigError("model.layers and model.width must be at least 1")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"model.dropout must be in [0, 1), got {self.dropout}")
        if self.seq_len < 1 or self.bptt < 0:
            raise ConfigError("model.seq_len must be at least 1 and model.bptt at least 0")
        if self.grad_clip < 0:
            raise ConfigError(f"model.grad_clip must be >= 0, got {self.grad_clip}")
        if any(not isinstance(c, str) or len(c) != 1 for c in self.vocabulary):
            raise ConfigError("model.vocabulary must be a list of single characters")
        if len(set(self.vocabulary)) != len(self.vocabulary):
            raise ConfigError("model.vocabulary lists a character twice")

    @property
    def item_length(self) -> int:
        """The window the text loader cuts: seq_len inputs (it adds the one target beyond)."""
        return self.seq_len

    @classmethod
    def run_defaults(cls, context: DefaultsContext) -> dict[str, Any]:
        # char-rnn's optimiser (the train section's defaults are a GAN's): Adam 2e-3 with the
        # usual betas, batch 50, no weight averaging.
        return {
            "train.lr_g": 2e-3,
            "train.beta1": 0.9,
            "train.beta2": 0.999,
            "train.batch_size": 50,
            "train.ema_decay": 0.0,
        }

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: minutes on a laptop CPU; cpu: about an hour there; gpu: the paper's scale.
        return budget_presets(
            {
                "model.width": (64, 128, 512),
                "model.layers": (2, 2, 3),
                "train.batch_size": (32, 64, 128),
                "train.steps": (500, 4000, 20000),
            }
        )

    def with_data(self, spec: DataSpec) -> CharRNNConfig:
        vocabulary = getattr(spec, "vocabulary", None)
        if not vocabulary:
            raise ConfigError(
                "charrnn needs text data: a UTF-8 text file or the built-in "
                "'sonnets' (e.g. --data poems.txt)"
            )
        if self.vocabulary and self.vocabulary != list(vocabulary):
            raise ConfigError(
                "the text's characters differ from the model's vocabulary (was the file "
                "changed since this run started?); train a new run on the new text"
            )
        self.vocabulary = list(vocabulary)
        return self


class CharRNNNet(nn.Module):
    def __init__(self, c: CharRNNConfig):
        super().__init__()
        vocab = max(1, len(c.vocabulary))
        self.embed = nn.Embedding(vocab, c.width)
        self.rnn = CELLS[c.cell](
            c.width, c.width, c.layers, batch_first=True, dropout=c.dropout if c.layers > 1 else 0.0
        )
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.width, vocab)
        if c.cell == "lstm":
            with torch.no_grad():  # gate order i, f, g, o: the forget gate is the 2nd quarter
                for name, bias in self.rnn.named_parameters():
                    if name.startswith("bias_ih"):
                        bias[c.width : 2 * c.width] = 1.0
                    elif name.startswith("bias_hh"):
                        bias[c.width : 2 * c.width] = 0.0

    def forward(self, tokens: torch.Tensor, state=None):
        """(B, T) token ids -> (B, T, V) logits and the state after the last step."""
        out, state = self.rnn(self.embed(tokens), state)  # (B, T, width)
        return self.head(self.drop(out)), state


def detach_state(state):
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


@MODELS.register("charrnn")
class CharRNN(GenerativeModel, TextGenerator):
    name = "charrnn"
    config_class = CharRNNConfig
    output_kind = "text"

    def __init__(self, config: CharRNNConfig) -> None:
        super().__init__(config)
        self.net = CharRNNNet(config)
        self.index = {ch: i for i, ch in enumerate(config.vocabulary)}

    @property
    def vocabulary(self) -> list[str]:
        return self.config.vocabulary

    # --- training ------------------------------------------------------------------------
    def phases(self, train) -> list[Phase]:
        return [
            Phase(
                "LM",
                ["net"],
                train.lr_g,
                (train.beta1, train.beta2),
                weight_decay=0.0,
                clip_grad_norm=self.config.grad_clip,
            )
        ]

    def sequence_nll(self, tokens: torch.Tensor, state=None, chunk: int = 0):
        """Summed negative log-likelihood in nats of ``tokens[:, 1:]`` given what precedes
        them, fed ``chunk`` steps at a time with the state's gradient cut between chunks.
        (B, T + 1) tokens -> (sum over B * T predictions, final state)."""
        inputs, targets = tokens[:, :-1], tokens[:, 1:]
        chunk = chunk or inputs.shape[1]
        total = tokens.new_zeros((), dtype=torch.float32)
        for start in range(0, inputs.shape[1], chunk):
            logits, state = self.net(inputs[:, start : start + chunk], state)
            total = total + F.cross_entropy(
                logits.float().flatten(0, 1),
                targets[:, start : start + chunk].flatten(),
                reduction="sum",
            )
            state = detach_state(state)
        return total, state

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        tokens = batch.x.long()
        nll, _ = self.sequence_nll(tokens, chunk=self.config.bptt or self.config.seq_len)
        loss = nll / (tokens.shape[0] * (tokens.shape[1] - 1))  # nats per character
        return {"loss": loss, "train_bpc": loss.detach() / LN2}

    def evaluate(self, dataset) -> dict[str, float]:
        """Held-out bits per character on a text dataset's held-out part (text_bpc.py)."""
        if not len(getattr(dataset, "held_out", ())):
            return {}
        return {"held_out_bpc": held_out_bpc(self, dataset)["bpc"]}

    # --- generation ----------------------------------------------------------------------
    def encode(self, text: str) -> torch.Tensor:
        unknown = sorted({ch for ch in text if ch not in self.index})
        if unknown:
            raise ConfigError(
                f"the prime text uses characters this model never saw: {''.join(unknown)!r}; "
                f"its vocabulary is {''.join(self.vocabulary)!r}"
            )
        return torch.tensor([self.index[ch] for ch in text], dtype=torch.long)

    def generate_text(
        self,
        n: int,
        seed: int | None = None,
        prime: str = "",
        length: int = 200,
        temperature: float = 1.0,
        top_k: int = 0,
    ) -> list[str]:
        """``n`` texts, each ``prime`` followed by ``length`` sampled characters.
        ``temperature`` 0 picks the most likely character every time (greedy)."""
        tokens = self.sample(
            n, seed, prime=prime, length=length, temperature=temperature, top_k=top_k
        )
        return ["".join(self.vocabulary[i] for i in row) for row in tokens.tolist()]

    @torch.no_grad()
    def draw(
        self,
        n: int,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        prime: str = "",
        length: int = 200,
        temperature: float = 1.0,
        top_k: int = 0,
    ) -> torch.Tensor:
        """(n, len(prime) + length) character ids: ``prime``, then the sampled characters."""
        if temperature < 0:
            raise ConfigError(f"temperature must be >= 0, got {temperature}")
        if top_k < 0 or length < 0:
            raise ConfigError("top_k and length must be >= 0")
        g = make_generator(seed, generator)
        start = self.encode(prime) if prime else self._start_token(g)
        tokens = start[None].expand(n, -1).to(self.device)  # (n, P)
        out = []
        with evaluating(self):
            logits, state = self.net(tokens)
            last = logits[:, -1].float()
            for _ in range(length):
                nxt = self._pick(last, temperature, top_k, g).to(self.device)  # (n,)
                out.append(nxt.cpu())
                logits, state = self.net(nxt[:, None], state)
                last = logits[:, -1].float()
        drawn = torch.stack(out, 1) if out else torch.zeros(n, 0, dtype=torch.long)
        primed = self.encode(prime)[None].expand(n, -1)  # (n, len(prime))
        return torch.cat([primed, drawn], 1)

    def _start_token(self, g: torch.Generator) -> torch.Tensor:
        """With no prime: a line break (the start of a line), else a uniformly drawn character."""
        if "\n" in self.index:
            return torch.tensor([self.index["\n"]])
        return torch.randint(len(self.vocabulary), (1,), generator=g)

    @staticmethod
    def _pick(
        logits: torch.Tensor, temperature: float, top_k: int, g: torch.Generator
    ) -> torch.Tensor:
        """One token per row of (n, V) logits, drawn on the CPU from the seeded generator."""
        logits = logits.cpu()
        if temperature == 0:
            return logits.argmax(-1)
        logits = logits / temperature
        if 0 < top_k < logits.shape[-1]:
            kth = logits.topk(top_k, dim=-1).values[:, -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        return torch.multinomial(torch.softmax(logits, -1), 1, generator=g)[:, 0]
