import dataclasses
import pickle
from pathlib import Path

import numpy as np
import pytest

from qrkt.errors import CheckpointError
from qrkt.models import CircuitConfig
from qrkt.presets import get_preset
from qrkt.training import load_checkpoint, save_checkpoint
from qrkt.training.checkpoint import MAGIC

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


def _header(data: bytes) -> int:
    return data.index(b"\n", len(MAGIC)) + 1
