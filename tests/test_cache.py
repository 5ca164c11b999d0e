"""Where artgan keeps recomputable files: one rule for every cache user."""

from pathlib import Path

import pytest

from artgan.cache import cache_root
from artgan.data import spoken_digits


def test_cache_root_prefers_artgan_cache_then_home_then_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path / "c"))
    monkeypatch.setenv("ARTGAN_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_root() == tmp_path / "c"
    monkeypatch.delenv("ARTGAN_CACHE")
    assert cache_root() == tmp_path / "h" / "cache"
    monkeypatch.delenv("ARTGAN_HOME")
    assert cache_root() == tmp_path / "x" / "artgan"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_root() == Path.home() / ".cache" / "artgan"


def test_spoken_digits_live_in_the_artgan_home_cache(monkeypatch, tmp_path):
    """A complete set under $ARTGAN_HOME/cache is found there and never synthesised again."""
    monkeypatch.delenv("ARTGAN_CACHE", raising=False)
    monkeypatch.setenv("ARTGAN_HOME", str(tmp_path))
    folder = tmp_path / "cache" / "spoken_digits" / f"v{spoken_digits.VERSION}-n20-seed0"
    folder.mkdir(parents=True)
    (folder / "COMPLETE").write_text("espeak: test\n")
    monkeypatch.setattr(spoken_digits, "espeak_binary", lambda: pytest.fail("synthesised"))
    assert spoken_digits.ensure_spoken_digits(20, 0) == folder
