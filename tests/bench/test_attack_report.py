"""bench/attack.py's report states the load measured while the attacks were timed, not a
fixed description of some other day's machine."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import attack  # noqa: E402


def test_the_timing_note_gives_the_measured_share_of_others():
    assert "other processes used 7% of the machine's CPU" in attack.timing_note(0.07)
    assert "an unknown share" in attack.timing_note(None)
    assert "8 sessions" not in attack.timing_note(0.0)
