"""Checkpoints: arrays as msgpack, metadata as JSON, one file each, written atomically.

A file is ``MAGIC``, one line of JSON (the metadata, its SHA-256, and the size and SHA-256 of
the payload), then the payload: :func:`flax.serialization.msgpack_serialize` of a state dict of
arrays. Reading parses JSON and msgpack only (arrays are rebuilt from shape, dtype name and raw
bytes), so loading a checkpoint never executes code from the file. A truncated or damaged file,
or one whose metadata was edited, fails its size or checksum tests before anything is decoded.
Version 1 files (the pretrained models') have no metadata checksum and are still read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import jax
import numpy as np
from flax import serialization

from qrkt.errors import CheckpointError
from qrkt.models import ModelConfig
from qrkt.training.files import write_atomically

MAGIC = b"qrkt checkpoint\n"
VERSION = 2
READABLE_VERSIONS = (1, VERSION)  # version 1 has no metadata checksum

T = TypeVar("T")


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as read: its JSON metadata and its state dict (NumPy leaves)."""

    path: Path
    metadata: dict[str, Any]
    state: dict[str, Any]
    digest: str  # the payload's SHA-256: names exactly these parameters

    def get(self, key: str, kind: type | tuple[type, ...]) -> Any:
        """The metadata entry ``key``, which must be a ``kind``; a missing entry or one of
        another type raises a :class:`CheckpointError` naming both."""
        if key not in self.metadata:
            raise _corrupt(self.path, f"its metadata has no {key!r} entry")
        value = self.metadata[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise _corrupt(
                self.path, f"its metadata's {key!r} is {value!r:.60}, expected a {names}"
            )
        return value

    def check_model(self, preset: str, model: ModelConfig) -> None:
        """Raise unless the checkpoint was made for ``preset`` with this exact ``model``."""
        stored_preset, stored = self.get("preset", str), self.get("model", dict)
        wanted = json.loads(json.dumps(model.to_dict()))  # as JSON reads it back
        if stored_preset == preset and stored == wanted:
            return
        differences = [
            f"{key}: {stored.get(key)!r} vs {wanted.get(key)!r}"
            for key in sorted(set(stored) | set(wanted))
            if stored.get(key) != wanted.get(key)
        ]
        raise CheckpointError(
            f"checkpoint {self.path} holds preset {stored_preset!r} and cannot load into preset "
            f"{preset!r}: their model configurations differ in "
            f"{'; '.join(differences) or 'nothing but the preset name'} (checkpoint vs "
            f"requested); use the checkpoint's preset {stored_preset!r}, or another work directory"
        )

    def restore(self, key: str, target: T) -> T:
        """``target`` with the arrays stored under ``key``; the structure, shapes and dtypes
        must match ``target``'s."""
        try:
            restored = serialization.from_state_dict(target, self.state[key])
        except (KeyError, ValueError) as error:
            raise CheckpointError(
                f"checkpoint {self.path} does not fit this model: its {key!r} tree differs "
                f"({error}); it was written by another model or qrkt version"
            ) from None
        expected = jax.tree_util.tree_flatten_with_path(target)[0]
        for (path, want), got in zip(expected, jax.tree_util.tree_leaves(restored), strict=True):
            if np.shape(want) != np.shape(got) or np.result_type(want) != np.result_type(got):
                raise CheckpointError(
                    f"checkpoint {self.path} does not fit this model: {key}"
                    f"{jax.tree_util.keystr(path)} is {np.result_type(got)}{list(np.shape(got))}, "
                    f"the model needs {np.result_type(want)}{list(np.shape(want))}"
                )
        return restored


def save_checkpoint(path: str | Path, state: dict[str, Any], metadata: dict[str, Any]) -> None:
    """Write ``state`` (a dict of pytrees of arrays) and ``metadata`` (JSON-able) atomically."""
    payload = serialization.msgpack_serialize(serialization.to_state_dict(state))
    metadata = json.loads(json.dumps(metadata))  # hashed as it is read back: keys as strings
    header = {
        "version": VERSION,
        "payload_bytes": len(payload),
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "metadata_sha256": _metadata_sha256(metadata),
        "metadata": metadata,
    }
    write_atomically(path, MAGIC + json.dumps(header).encode() + b"\n" + payload)


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and verify a checkpoint written by :func:`save_checkpoint`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(
            f"no checkpoint at {path}; train first (qrkt train ... --workdir "
            f"{path.parent.parent}) or pass the work directory of a finished run"
        ) from None
    if not data.startswith(MAGIC):
        raise CheckpointError(
            f"{path} is not a qrkt checkpoint: it starts with {data[:16]!r}, expected "
            f"{MAGIC!r}; pass a file written by qrkt train"
        )
    header_line, newline, payload = data[len(MAGIC) :].partition(b"\n")
    try:
        header = json.loads(header_line) if newline else None
    except (ValueError, RecursionError):
        header = None
    if not isinstance(header, dict) or any(
        type(header.get(key)) is not kind for key, kind in _HEADER_TYPES.items()
    ):
        raise _corrupt(path, "its header is unreadable")
    if header["version"] not in READABLE_VERSIONS:
        raise CheckpointError(
            f"{path} is a version {header['version']} checkpoint; this qrkt reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))}: use the qrkt version that wrote it"
        )
    if not isinstance(header.get("metadata"), dict):
        raise _corrupt(
            path, f"its metadata is a {type(header.get('metadata')).__name__}, not a JSON object"
        )
    if header["version"] > 1 and header.get("metadata_sha256") != _metadata_sha256(
        header["metadata"]
    ):
        raise _corrupt(path, "its metadata does not match its SHA-256 checksum (was it edited?)")
    if len(payload) != header["payload_bytes"]:
        raise _corrupt(
            path,
            f"it holds {len(payload)} payload bytes, its header says {header['payload_bytes']}",
        )
    if hashlib.sha256(payload).hexdigest() != header["payload_sha256"]:
        raise _corrupt(path, "its payload does not match its SHA-256 checksum")
    try:
        state = serialization.msgpack_restore(payload)
    except Exception as error:  # msgpack raises several unrelated types on bad input
        raise _corrupt(path, f"its payload is not a msgpack state dict ({error})") from None
    if not isinstance(state, dict):
        raise _corrupt(path, f"its payload is a {type(state).__name__}, not a state dict")
    return Checkpoint(path, header["metadata"], state, header["payload_sha256"])


_HEADER_TYPES = {"version": int, "payload_bytes": int, "payload_sha256": str}


def _metadata_sha256(metadata: dict[str, Any]) -> str:
    """The SHA-256 of ``metadata`` as canonical JSON: the same before writing and after
    reading back."""
    return hashlib.sha256(json.dumps(metadata, sort_keys=True).encode()).hexdigest()


def _corrupt(path: Path, reason: str) -> CheckpointError:
    return CheckpointError(
        f"checkpoint {path} is truncated or corrupt: {reason}; it was damaged after it was "
        "written (qrkt writes checkpoints atomically): restore it from a copy, or start a new "
        "run in another work directory"
    )
