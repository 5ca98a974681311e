import dataclasses
import errno
import json
import os
from pathlib import Path

import jax
import numpy as np
import pytest

from qrkt.errors import CheckpointError, TrainingError
from qrkt.presets import get_preset
from qrkt.training import TrainConfig, load_checkpoint, save_checkpoint, train_and_evaluate
from qrkt.training.report import read_records
from tests.training.recording import Recording
from tests.training.subprocesses import run_script

TIMINGS = {"epoch_seconds", "samples_per_second", "compile_seconds", "train_seconds"}

# 8 steps of 32 per epoch; checkpoints at steps 3, 6, 8 (epoch end), 9, 12, 15, 16 (end).
RESUME = dict(
    preset="digits-rk1",
    epochs=2,
    batch_size=32,
    limit=256,
    warmup_steps=4,
    decay_steps=32,
    checkpoint_every=3,
)

INTERRUPTED_RUNS = """
    import sys
    from pathlib import Path

    from qrkt.training import Progress, TrainConfig, train_and_evaluate

    out = Path(sys.argv[1])
    config = TrainConfig(**{settings})
    train_and_evaluate(config, out / "straight")

    class Crash(Progress):
        def __init__(self, at):
            self.at = at

        def step_finished(self, step, samples):
            if step == self.at:
                raise KeyboardInterrupt

    # before the first checkpoint; at the end of epoch 1 (before its checkpoint); mid-epoch 2
    for crash in (2, 8, 13):
        try:
            train_and_evaluate(config, out / f"crash-{{crash}}", progress=Crash(crash))
        except KeyboardInterrupt:
            pass
        train_and_evaluate(config, out / f"crash-{{crash}}", resume=True)
"""


def _without_timings(record: dict) -> dict:
    return {key: value for key, value in record.items() if key not in TIMINGS}


def _leaves(path: Path, key: str) -> list[np.ndarray]:
    return jax.tree_util.tree_leaves(load_checkpoint(path).state[key])


def test_a_run_interrupted_anywhere_resumes_to_the_same_result(tmp_path: Path) -> None:
    run_script(INTERRUPTED_RUNS.format(settings=RESUME), tmp_path)
    straight = tmp_path / "straight"
    expected = [_without_timings(r) for r in read_records(straight / "metrics.jsonl")]
    assert [r["step"] for r in expected] == [8, 16]
    for crash in (2, 8, 13):
        resumed = tmp_path / f"crash-{crash}"
        assert [_without_timings(r) for r in read_records(resumed / "metrics.jsonl")] == expected
        for name, key in (("last", "params"), ("last", "opt_state"), ("best", "params")):
            for got, want in zip(
                _leaves(resumed / "checkpoints" / f"{name}.ckpt", key),
                _leaves(straight / "checkpoints" / f"{name}.ckpt", key),
                strict=True,
            ):
                np.testing.assert_array_equal(got, want)  # bit for bit
        summary = json.loads((resumed / "summary.json").read_text())
        assert _without_timings(summary) == _without_timings(
            json.loads((straight / "summary.json").read_text())
        )


def _fake_run(workdir: Path, preset: str = "digits-rk1", **settings: object) -> None:
    """A ``last`` checkpoint with metadata only: enough for the checks made before training."""
    config = TrainConfig(preset=preset, dataset="digits", **settings)
    metadata = {
        "preset": preset,
        "model": get_preset(preset).model.to_dict(),
        "train_config": config.to_dict(),
    }
    save_checkpoint(workdir / "checkpoints" / "last.ckpt", {}, metadata)


def test_an_existing_run_is_not_overwritten(tmp_path: Path) -> None:
    _fake_run(tmp_path)
    with pytest.raises(TrainingError) as error:
        train_and_evaluate(TrainConfig(preset="digits-rk1"), tmp_path)
    assert str(error.value) == (
        f"work directory {tmp_path} already holds a run; pass --resume to continue it, or "
        "choose another --workdir"
    )


def test_resuming_into_another_preset_names_both(tmp_path: Path) -> None:
    _fake_run(tmp_path, preset="digits-qrk1")
    with pytest.raises(CheckpointError) as error:
        train_and_evaluate(TrainConfig(preset="digits-rk1"), tmp_path, resume=True)
    assert str(error.value).startswith(
        f"checkpoint {tmp_path / 'checkpoints' / 'last.ckpt'} holds preset 'digits-qrk1' and "
        "cannot load into preset 'digits-rk1': their model configurations differ in circuit: "
        "{'ansatz': 'qrkt', 'layers': 1, 'tied': True} vs None (checkpoint vs requested)"
    )


def test_resuming_with_other_settings_is_refused(tmp_path: Path) -> None:
    _fake_run(tmp_path, seed=1, epochs=3)
    with pytest.raises(TrainingError) as error:
        train_and_evaluate(TrainConfig(preset="digits-rk1", epochs=5), tmp_path, resume=True)
    assert str(error.value) == (
        f"work directory {tmp_path} holds a run with other settings: seed: 1 vs 0 (stored vs "
        "requested); resume with the settings it was started with (only epochs, data_dir, "
        "checkpoint_every, time_limit may change), or choose another --workdir"
    )


def test_a_split_smaller_than_a_batch_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        TrainingError,
        match="the training split has 10 samples, fewer than one "
        "batch of 64; lower --batch-size or raise --limit",
    ):
        train_and_evaluate(TrainConfig(preset="digits-rk1", limit=10), tmp_path)


QUANTUM_DIGITS = """
    import sys

    from qrkt.training import TrainConfig, train_and_evaluate

    config = TrainConfig(
        preset="digits-qrk1", epochs=10, learning_rate=3e-2, warmup_steps=22, decay_steps=220
    )
    train_and_evaluate(config, sys.argv[1])
"""


def test_the_quantum_digits_preset_learns(tmp_path: Path) -> None:
    """digits-qrk1 (712 parameters, 114 qubits): above 80 % in 10 epochs of 22 steps."""
    run_script(QUANTUM_DIGITS, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["validation"]["accuracy"] > 0.8, summary["validation"]
    assert summary["qubits"] == 114


def test_resuming_nothing_is_refused(tmp_path: Path) -> None:
    """Issue 18: --resume on an empty or missing work directory started a new run."""
    for workdir in (tmp_path, tmp_path / "missing"):
        with pytest.raises(TrainingError) as error:
            train_and_evaluate(TrainConfig(preset="digits-rk1"), workdir, resume=True)
        assert str(error.value) == (
            f"--resume: work directory {workdir} holds no run to resume (no "
            "checkpoints/last.ckpt, metrics.jsonl or summary.json); drop --resume to start a new "
            "run there, or pass the --workdir of the run to continue"
        )


def test_a_workdir_that_cannot_be_written_is_refused_before_compiling(tmp_path: Path) -> None:
    """Issue 18, item 6: these failed with a raw OSError after compiling."""
    (tmp_path / "file").write_text("")
    with pytest.raises(TrainingError) as error:
        train_and_evaluate(TrainConfig(preset="digits-rk1"), tmp_path / "file")
    assert str(error.value) == (
        f"work directory {tmp_path / 'file'} is a file, not a directory; choose another --workdir"
    )


def test_a_read_only_workdir_is_refused_before_compiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(path: Path, data: bytes) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    monkeypatch.setattr(Path, "write_bytes", read_only)
    with pytest.raises(TrainingError) as error:
        train_and_evaluate(TrainConfig(preset="digits-rk1"), tmp_path / "run")
    assert str(error.value).startswith(
        f"cannot write {tmp_path / 'run'}: Read-only file system ({tmp_path / 'run'}/.qrkt-probe-"
    )
    assert str(error.value).endswith(
        "; make it writable or free some space, or choose another --workdir; the files written "
        "before are intact, and an interrupted run continues with --resume"
    )


SMALL = dict(preset="digits-rk1", epochs=1, batch_size=32, limit=64, checkpoint_every=1)


def test_a_loss_that_becomes_nan_stops_the_run_and_keeps_the_last_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18, item 5: the loss of step 2 is NaN; the checkpoint of step 1 is kept."""
    from qrkt.training import trainer

    build = trainer.training_steps

    def nan_at_step_2(*args, **kwargs):
        compiled = build(*args, **kwargs)

        def train(state, inputs, labels):
            state, losses, probabilities = compiled.train(state, inputs, labels)
            return state, losses * np.where(int(state.step) == 2, np.nan, 1), probabilities

        return dataclasses.replace(compiled, train=train)

    monkeypatch.setattr(trainer, "training_steps", nan_at_step_2)
    with pytest.raises(TrainingError) as error:
        train_and_evaluate(TrainConfig(**SMALL), tmp_path)
    last = tmp_path / "checkpoints" / "last.ckpt"
    assert str(error.value) == (
        "training stopped at epoch 1, step 2: the training loss became NaN or infinite; the last "
        f"good checkpoint, {last}, is kept and metrics.jsonl holds only finite records; lower "
        "--learning-rate (or check the data for NaN) and start a new run in another --workdir"
    )
    assert load_checkpoint(last).metadata["step"] == 1
    assert (tmp_path / "metrics.jsonl").read_text() == ""


def test_a_finished_run_resumes_to_its_summary_without_compiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18: checkpoints keep the last record only; a finished run has nothing to do."""
    progress = Recording()
    first = train_and_evaluate(TrainConfig(**SMALL), tmp_path, progress=progress)
    assert [event[:2] for event in progress.compiling()] == [
        ("compile_started", "the training step"),
        ("compile_finished", "the training step"),
    ]
    metadata = load_checkpoint(tmp_path / "checkpoints" / "last.ckpt").metadata
    assert "history" not in metadata and metadata["last_record"] == first.history[-1]
    from qrkt.training import trainer

    monkeypatch.setattr(trainer, "training_steps", None)  # calling it would fail
    again = train_and_evaluate(TrainConfig(**SMALL), tmp_path, resume=True)
    assert again.already_finished and again.summary == json.loads(json.dumps(first.summary))
    assert again.history == first.history
    monkeypatch.undo()
    longer = train_and_evaluate(TrainConfig(**{**SMALL, "epochs": 2}), tmp_path, resume=True)
    assert not longer.already_finished and longer.history[0] == first.history[0]
    assert [r["epoch"] for r in read_records(tmp_path / "metrics.jsonl")] == [1, 2]
