import json
import socket
from pathlib import Path

import jax
import numpy as np
import pytest

from qrkt.training import load_checkpoint
from qrkt.training.report import read_records
from tests.training.subprocesses import finish, start_script

ONE_AND_TWO_DEVICES = """
    import sys
    from pathlib import Path

    import jax

    from qrkt.errors import TrainingError
    from qrkt.training import TrainConfig, train_and_evaluate

    assert jax.device_count() == 2, jax.devices()
    out = Path(sys.argv[1])
    config = TrainConfig(
        preset="digits-rk1", epochs=1, batch_size=32, limit=128, warmup_steps=2, decay_steps=16
    )
    train_and_evaluate(config, out / "one", devices=jax.devices()[:1])
    train_and_evaluate(config, out / "two")
    try:
        train_and_evaluate(TrainConfig(preset="digits-rk1", batch_size=33), out / "odd")
    except TrainingError as error:
        print(error)
"""


TWO_PROCESSES = """
    import sys

    from qrkt.cli import main

    out, port, process = sys.argv[1:]
    command = ["train", "--preset", "digits-rk1", "--workdir", f"{out}/hosts", "--epochs", "1"]
    command += ["--batch-size", "32", "--limit", "128", "--warmup-steps", "2"]
    command += ["--decay-steps", "16", "--coordinator-address", f"localhost:{port}"]
    sys.exit(main([*command, "--num-processes", "2", "--process-id", process]))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def test_two_devices_and_two_processes_train_as_one_device(tmp_path: Path) -> None:
    """One process with one device and with two; two processes (jax.distributed on this
    host, as on several hosts) of one device each."""
    port = _free_port()
    devices = start_script(ONE_AND_TWO_DEVICES, tmp_path, devices=2)
    processes = [start_script(TWO_PROCESSES, tmp_path, port, index) for index in (0, 1)]
    for process in processes:
        finish(process)
    out = finish(devices)
    assert out.strip() == (
        "batch size 33 does not split over 2 devices; choose a multiple of 2 (--batch-size), "
        "or make fewer devices visible (e.g. CUDA_VISIBLE_DEVICES)"
    )
    for run, processes in (("two", 1), ("hosts", 2)):
        summary = json.loads((tmp_path / run / "summary.json").read_text())
        assert (summary["devices"], summary["processes"]) == (2, processes)
        _assert_same_training(tmp_path / run, tmp_path / "one")


def _assert_same_training(two: Path, one: Path) -> None:
    (got,), (want,) = read_records(two / "metrics.jsonl"), read_records(one / "metrics.jsonl")
    for key in ("loss", "accuracy", "f1", "auc"):
        for split in ("train", "validation"):
            assert got[f"{split}_{key}"] == pytest.approx(want[f"{split}_{key}"], rel=1e-5)
    compared = 0
    for (path, got), (_, want) in zip(
        *(_leaves_with_paths(run / "checkpoints" / "last.ckpt") for run in (two, one)),
        strict=True,
    ):
        # The gradient of an attention key bias is zero in exact arithmetic (a softmax ignores
        # a shift shared by all keys), so it is rounding noise, which differs with the order of
        # the all-reduce, and Adam scales noise up to steps of the learning rate. Key biases
        # change no output; every other array must agree.
        if "['key']['bias']" not in path:
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6, err_msg=path)
            compared += 1
    assert compared > 50


def _leaves_with_paths(checkpoint: Path) -> list[tuple[str, np.ndarray]]:
    leaves = jax.tree_util.tree_flatten_with_path(load_checkpoint(checkpoint).state)[0]
    return [(jax.tree_util.keystr(path), leaf) for path, leaf in leaves]
