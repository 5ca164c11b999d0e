"""What made a generated file: the record embedded in (or beside) every output."""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field

from ..version import __version__


@dataclass
class GenerationRecord:
    model_family: str = ""
    run_id: str = ""
    weights_sha256: str = ""
    step: int = 0
    seed: int | None = None
    params: dict = field(default_factory=dict)  # command, index, truncation, class, ...
    dataset_manifest_sha256: str = ""
    artgan_version: str = __version__
    created: str = field(
        default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    )

    def with_params(self, **params) -> GenerationRecord:
        """A copy with extra generation parameters (e.g. the index of one image of a batch)."""
        data = asdict(self)
        data["params"] = {**self.params, **params}
        return GenerationRecord(**data)

    def to_dict(self) -> dict:
        return {"generator": "artgan", **asdict(self)}
