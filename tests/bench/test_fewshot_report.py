"""bench/fewshot.py's section says which models ran: a run without the anchor must not read as
one beside it."""

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import fewshot  # noqa: E402


def test_the_title_names_the_models_and_a_missing_anchor():
    with_anchor = fewshot.report_title(["fastgan-ada", "lightweight-gan"], 60)
    assert with_anchor == "Few-shot emoji art, 60 minutes each: fastgan-ada beside lightweight-gan"
    without = fewshot.report_title(["fastgan-ada", "resnet-sn-diffaug"], 60)
    assert "beside resnet-sn-diffaug" in without
    assert without.endswith("(lightweight-gan not in this run)")
