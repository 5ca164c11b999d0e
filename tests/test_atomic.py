"""Atomic writes (artgan/atomic.py): a refused write leaves the old file and no temporary one,
and its error names the file the caller asked for."""

import errno
import os

import pytest

from artgan import atomic


@pytest.mark.parametrize("fault", ["mkstemp", "replace"])
def test_a_refused_write_names_the_file_not_its_temporary(tmp_path, monkeypatch, fault):
    """What `artgan eval` says when the run's metrics.json cannot be written (read-only folder
    or disk): the file, not `.metrics.json.x1y2.tmp`; and nothing is left behind."""

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path / ".x.abc.tmp"))

    target = tmp_path / "metrics.json"
    target.write_text("[]\n")
    monkeypatch.setattr(atomic.tempfile if fault == "mkstemp" else atomic.os, fault, refuse)
    with pytest.raises(OSError) as error:
        atomic.atomic_write_text(target, "[1]\n")
    assert error.value.errno == errno.EROFS and error.value.filename == str(target)
    assert target.read_text() == "[]\n" and sorted(tmp_path.iterdir()) == [target]
