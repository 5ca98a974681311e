import dataclasses
import pickle
from pathlib import Path

import numpy as np
import pytest

from qrkt.errors import CheckpointError
from qrkt.models import CircuitConfig
from qrkt.presets import get_preset
from qrkt.training import load_checkpoint, save_checkpoint
from qrkt.training.checkpoint import MAGIC, VERSION

QUANTUM = get_preset("digits-qrk1")


def _state() -> dict:
    return {
        "params": {"dense": {"kernel": np.arange(6, dtype=np.float32).reshape(2, 3)}},
        "opt_state": ({"count": np.zeros((), np.int32)}, {}),
    }


def _metadata(preset=QUANTUM) -> dict:
    return {"preset": preset.name, "model": preset.model.to_dict(), "epoch": 3}


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "checkpoints" / "last.ckpt"
    save_checkpoint(path, _state(), _metadata())
    return path


def test_round_trip(saved: Path) -> None:
    checkpoint = load_checkpoint(saved)
    assert checkpoint.metadata["epoch"] == 3
    target = _state()
    target["params"]["dense"]["kernel"] = np.zeros((2, 3), np.float32)
    restored = checkpoint.restore("params", target["params"])
    np.testing.assert_array_equal(
        restored["dense"]["kernel"], _state()["params"]["dense"]["kernel"]
    )
    opt_state = checkpoint.restore("opt_state", _state()["opt_state"])
    assert isinstance(opt_state, tuple)
    checkpoint.check_model(QUANTUM.name, QUANTUM.model)  # the same model: no error


def test_another_ansatz_is_refused_naming_both_configurations(saved: Path) -> None:
    cara = dataclasses.replace(QUANTUM.model, circuit=CircuitConfig(ansatz="cara"))
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(saved).check_model("digits-qrk1", cara)
    assert str(error.value) == (
        f"checkpoint {saved} holds preset 'digits-qrk1' and cannot load into preset "
        "'digits-qrk1': their model configurations differ in circuit: {'ansatz': 'qrkt', "
        "'layers': 1, 'tied': True} vs {'ansatz': 'cara', 'layers': 1, 'tied': True} "
        "(checkpoint vs requested); use the checkpoint's preset 'digits-qrk1', or another work "
        "directory"
    )


def test_another_preset_is_refused(saved: Path) -> None:
    classical = get_preset("digits-rk1")
    with pytest.raises(
        CheckpointError,
        match="holds preset 'digits-qrk1' and cannot load into "
        "preset 'digits-rk1': their model configurations differ in circuit: ",
    ):
        load_checkpoint(saved).check_model(classical.name, classical.model)


def test_arrays_of_another_shape_are_refused(saved: Path) -> None:
    target = {"dense": {"kernel": np.zeros((3, 3), np.float32)}}
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(saved).restore("params", target)
    assert str(error.value) == (
        f"checkpoint {saved} does not fit this model: params['dense']['kernel'] is "
        "float32[2, 3], the model needs float32[3, 3]"
    )


def test_another_tree_is_refused(saved: Path) -> None:
    with pytest.raises(CheckpointError, match="does not fit this model: its 'params' tree differs"):
        load_checkpoint(saved).restore("params", {"conv": {"kernel": np.zeros(1)}})


def test_a_truncated_file_is_refused(saved: Path) -> None:
    data = saved.read_bytes()
    saved.write_bytes(data[:-10])
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(saved)
    assert str(error.value).startswith(
        f"checkpoint {saved} is truncated or corrupt: it holds {len(data) - 10 - _header(data)} "
        f"payload bytes, its header says {len(data) - _header(data)}; "
    )
    saved.write_bytes(data[: len(MAGIC) + 5])  # cut inside the header
    with pytest.raises(CheckpointError, match="truncated or corrupt: its header is unreadable"):
        load_checkpoint(saved)


def test_a_damaged_file_fails_its_checksum(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    data[-3] ^= 0xFF
    saved.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="does not match its SHA-256 checksum"):
        load_checkpoint(saved)


def test_other_files_are_not_checkpoints(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"params": 1}))
    with pytest.raises(CheckpointError, match=r"model.pkl is not a qrkt checkpoint: it starts "):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match=r"no checkpoint at .*nothing.ckpt; train first"):
        load_checkpoint(tmp_path / "nothing.ckpt")


class _Exploit:
    def __reduce__(self):
        return (Path.touch, (Path("/tmp/qrkt-checkpoint-exploit"),))


def test_loading_never_runs_code_from_the_file(saved: Path) -> None:
    """A pickle payload with a valid header and checksum is refused, not unpickled."""
    import hashlib
    import json

    Path("/tmp/qrkt-checkpoint-exploit").unlink(missing_ok=True)
    payload = pickle.dumps(_Exploit())
    header = {
        "version": 1,
        "payload_bytes": len(payload),
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "metadata": {},
    }
    saved.write_bytes(MAGIC + json.dumps(header).encode() + b"\n" + payload)
    with pytest.raises(CheckpointError, match="its payload is not a msgpack state dict"):
        load_checkpoint(saved)
    assert not Path("/tmp/qrkt-checkpoint-exploit").exists()


def _edit_header(path: Path, edit) -> None:
    """Rewrite ``path``'s JSON header with ``edit(header)``, keeping its payload."""
    import json

    data = path.read_bytes()
    header = json.loads(data[len(MAGIC) : _header(data)])
    edit(header)
    path.write_bytes(MAGIC + json.dumps(header).encode() + b"\n" + data[_header(data) :])


def test_an_edited_header_fails_its_checksum(saved: Path) -> None:
    """Issue 18, item 3: the header is covered by a checksum too."""
    assert VERSION == 2
    _edit_header(saved, lambda header: header["metadata"]["model"]["circuit"].update(ansatz="cara"))
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(saved)
    assert str(error.value) == (
        f"checkpoint {saved} is truncated or corrupt: its metadata does not match its SHA-256 "
        "checksum (was it edited?); it was damaged after it was written (qrkt writes checkpoints "
        "atomically): restore it from a copy, or start a new run in another work directory"
    )


def test_a_header_of_the_wrong_shape_is_refused(saved: Path) -> None:
    _edit_header(saved, lambda header: header.update(metadata=[1, 2]))
    with pytest.raises(
        CheckpointError, match="truncated or corrupt: its metadata is a list, not a JSON object"
    ):
        load_checkpoint(saved)
    _edit_header(saved, lambda header: header.update(version="2"))
    with pytest.raises(CheckpointError, match="truncated or corrupt: its header is unreadable"):
        load_checkpoint(saved)
    _edit_header(saved, lambda header: header.update(version=3))
    with pytest.raises(
        CheckpointError, match="is a version 3 checkpoint; this qrkt reads versions 1, 2"
    ):
        load_checkpoint(saved)
    saved.write_bytes(MAGIC + b"[" * 100_000 + b"\n")
    with pytest.raises(CheckpointError, match="truncated or corrupt: its header is unreadable"):
        load_checkpoint(saved)


def test_metadata_entries_are_checked_as_they_are_read(tmp_path: Path) -> None:
    path = tmp_path / "last.ckpt"
    save_checkpoint(path, _state(), {**_metadata(), "preset": ["digits-qrk1"]})
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path).check_model(QUANTUM.name, QUANTUM.model)
    assert str(error.value).startswith(
        f"checkpoint {path} is truncated or corrupt: its metadata's 'preset' is ['digits-qrk1'], "
        "expected a str; "
    )
    with pytest.raises(CheckpointError, match="its metadata has no 'step' entry"):
        load_checkpoint(path).get("step", int)


def test_version_1_files_are_still_read(saved: Path) -> None:
    """The pretrained models' checkpoints are version 1: no metadata checksum."""
    _edit_header(saved, lambda header: header.update(version=1) or header.pop("metadata_sha256"))
    assert load_checkpoint(saved).metadata["epoch"] == 3
    shipped = Path(__file__).parents[2] / "qrkt" / "pretrained" / "models" / "digits-qrk1"
    assert load_checkpoint(shipped / "best.ckpt").metadata["preset"] == "digits-qrk1"


def _header(data: bytes) -> int:
    return data.index(b"\n", len(MAGIC)) + 1
