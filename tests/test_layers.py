"""Layers import downward only (DESIGN 14): the import-linter contract in pyproject.toml holds,
with no ignored imports; a new upward edge fails here."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_layers_contract_is_kept():
    command = [
        sys.executable,
        "-c",
        "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 kept, 0 broken" in result.stdout
    assert "ignored" not in result.stdout  # no known exceptions left


def test_benches_use_the_library_not_the_command_line():
    """Library functions live below cli/ (``artgan.upscale.upscale_image``,
    ``artgan.sample.interpolation_frames``); a bench imports them from there."""
    offenders = [
        path.name
        for path in (ROOT / "bench").glob("*.py")
        if "from artgan.cli" in path.read_text(encoding="utf-8")
    ]
    assert not offenders, offenders
