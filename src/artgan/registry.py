"""Named registries. Everything a user selects by name (models, losses, datasets, metrics,
feature extractors) is registered here by an explicit decorator in the module that defines it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from .errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = obj
            return obj

        return decorator

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}; valid names: {', '.join(self.names())}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries


MODELS: Registry = Registry("model")
LOSSES: Registry = Registry("loss")
DATASETS: Registry = Registry("dataset")
METRICS: Registry = Registry("metric")
FEATURES: Registry = Registry("feature extractor")
