"""bench/make_benchmarks.py keeps the sections of benches that were not re-run."""

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import make_benchmarks  # noqa: E402


def test_a_fresh_report_replaces_its_section_and_the_others_are_kept(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir(), second.mkdir()
    (first / "alpha.md").write_text("# Alpha\n\nold alpha figures\n", encoding="utf-8")
    (first / "beta.md").write_text("# Beta\n\nbeta figures\n", encoding="utf-8")
    out = tmp_path / "BENCHMARKS.md"
    assert make_benchmarks.main(["--out", str(out), "--from", str(first)]) == 0

    (second / "alpha.md").write_text("# Alpha\n\nnew alpha figures\n", encoding="utf-8")
    assert make_benchmarks.main(["--out", str(out), "--from", str(second)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "new alpha figures" in text and "old alpha figures" not in text
    assert "beta figures" in text
    assert text.index('<a id="alpha">') < text.index('<a id="beta">')
    assert text.count("## Alpha") == 1 and text.count("## Beta") == 1


def test_a_dropped_section_is_removed_and_an_unknown_name_is_an_error(tmp_path, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    for name in ("alpha", "beta"):
        (folder / f"{name}.md").write_text(f"# {name}\n\n{name} figures\n", encoding="utf-8")
    out = tmp_path / "BENCHMARKS.md"
    assert make_benchmarks.main(["--out", str(out), "--from", str(folder)]) == 0
    (folder / "beta.md").unlink()
    assert make_benchmarks.main(["--out", str(out), "--from", str(folder), "--drop", "beta"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "alpha figures" in text and "beta" not in text
    assert make_benchmarks.main(["--out", str(out), "--from", str(folder), "--drop", "gamma"]) == 1
    assert "no section named gamma" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == text


def test_later_folders_win_and_no_reports_is_an_error(tmp_path, capsys):
    first, second, empty = tmp_path / "one", tmp_path / "two", tmp_path / "empty"
    for folder in (first, second, empty):
        folder.mkdir()
    (first / "alpha.md").write_text("# Alpha\n\nfrom one\n", encoding="utf-8")
    (second / "alpha.md").write_text("# Alpha\n\nfrom two\n", encoding="utf-8")
    out = tmp_path / "BENCHMARKS.md"
    assert make_benchmarks.main(["--out", str(out), "--from", str(first), str(second)]) == 0
    assert "from two" in out.read_text(encoding="utf-8")
    assert make_benchmarks.main(["--out", str(out), "--from", str(empty)]) == 1
    assert "no bench reports" in capsys.readouterr().err
