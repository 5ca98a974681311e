"""Writing a file so that a reader, or a run killed at any moment, sees the old or the new
content in full, never a part of either."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from qrkt.errors import TrainingError


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically.

    The bytes go to a temporary file in the same directory, are flushed and fsync'ed, and the
    file is renamed over ``path`` with ``os.replace`` (atomic on POSIX and Windows); the
    directory is fsync'ed so the rename survives a power cut. On any error the temporary file
    is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        os.chmod(temporary, _mode(path))
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(path.parent)


def write_arrays_atomically(path: str | Path, **arrays: np.ndarray) -> None:
    """Write ``arrays`` to ``path`` as an uncompressed ``.npz``, atomically."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomically(path, buffer.getvalue())


def _mode(path: Path) -> int:
    """The file's current permissions, or those a new file gets (``mkstemp`` gives 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:  # directories cannot be opened on Windows; the rename is durable there
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def check_writable(directory: Path) -> None:
    """Raise unless ``directory`` can be created and a file written in it and removed, so a
    run fails before it loads data or compiles, not at its first checkpoint."""
    if directory.exists() and not directory.is_dir():
        raise TrainingError(
            f"work directory {directory} is a file, not a directory; choose another --workdir"
        )
    probe = directory / f".qrkt-probe-{uuid.uuid4().hex}"
    with writing(directory):
        directory.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        os.unlink(probe)


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn an :class:`OSError` (a read-only or full disk, a file in the way) raised while
    writing ``path`` into a :class:`TrainingError` naming it and the system's reason."""
    try:
        yield
    except OSError as error:
        reason = error.strerror or str(error)
        culprit = (
            f" ({error.filename})" if error.filename and str(error.filename) != str(path) else ""
        )
        raise TrainingError(
            f"cannot write {path}: {reason}{culprit}; make it writable or free some space, or "
            "choose another --workdir; the files written before are intact, and an interrupted "
            "run continues with --resume"
        ) from error


def write_json(path: str | Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON, atomically."""
    write_atomically(path, (json.dumps(data, indent=2) + "\n").encode())
