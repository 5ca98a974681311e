import os
from pathlib import Path

import pytest

from qrkt.training.files import write_atomically


def test_writes_the_bytes_and_creates_the_directory(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b.bin"
    write_atomically(path, b"new")
    assert path.read_bytes() == b"new"
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "last.ckpt"
    write_atomically(path, b"old")

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, b"new" * 1000)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["last.ckpt"]


def test_the_new_content_appears_only_by_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "last.ckpt"
    write_atomically(path, b"old")
    seen = []
    replace = os.replace

    def spy(source: str, target: Path) -> None:
        seen.append((Path(source).parent, Path(source).read_bytes(), path.read_bytes()))
        replace(source, target)

    monkeypatch.setattr(os, "replace", spy)
    write_atomically(path, b"new")
    assert seen == [(tmp_path, b"new", b"old")]  # a complete temporary in the same directory
    assert path.read_bytes() == b"new"


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask
