import json
from pathlib import Path

import pytest

from qrkt.cli import main

SMOKE = """
    import contextlib
    import sys
    import time
    from pathlib import Path

    from qrkt.cli import main

    out = Path(sys.argv[1])
    quick = ["--epochs", "1", "--limit", "128", "--warmup-steps", "2", "--decay-steps", "20"]
    commands = {
        "classical": ["train", "--preset", "digits-rk1", "--workdir", out / "classical", *quick],
        "quantum": ["train", "--preset", "digits-qrk1", "--workdir", out / "quantum", *quick],
        "jax": ["evaluate", "--workdir", out / "quantum", "--limit", "128"],
        "reference": [
            "evaluate", "--workdir", out / "quantum", "--limit", "128", "--backend", "reference"
        ],
    }
    for name, command in commands.items():
        started = time.perf_counter()
        with open(out / f"{name}.out", "w") as file, contextlib.redirect_stdout(file):
            code = main([str(part) for part in command])
        print(name, code, f"{time.perf_counter() - started:.0f}s")
"""


def test_train_two_steps_then_evaluate_on_two_backends(tmp_path: Path) -> None:
    """Two training steps of a classical and a quantum digits preset, then the quantum one
    evaluated on ``jax`` (complex64) and ``reference`` (NumPy, complex128), all through the
    CLI, in one process compiling fast."""
    from qrkt.training.report import THESIS_COLUMNS, read_records
    from tests.training.subprocesses import run_script

    runs = [line.split() for line in run_script(SMOKE, tmp_path).splitlines()]
    assert [run[:2] for run in runs] == [
        ["classical", "0"],
        ["quantum", "0"],
        ["jax", "0"],
        ["reference", "0"],
    ], runs
    for run, preset, qubits in (
        ("classical", "digits-rk1", "-"),
        ("quantum", "digits-qrk1", "114"),
    ):
        out = (tmp_path / f"{run}.out").read_text().splitlines()
        header = [[c.strip() for c in line.split("  ") if c.strip()] for line in out].index(
            list(THESIS_COLUMNS)
        )
        row = out[header + 2].split()
        assert (row[0], row[-1]) == (preset, qubits)
        workdir = tmp_path / run
        (record,) = read_records(workdir / "metrics.jsonl")
        assert (record["epoch"], record["step"]) == (1, 2)
        metrics = {
            f"{split}_{metric}"
            for split in ("train", "validation")
            for metric in ("loss", "accuracy", "f1", "auc")
        }
        assert {*metrics, "learning_rate", "epoch_seconds", "samples_per_second"} <= set(record)
        summary = json.loads((workdir / "summary.json").read_text())
        assert (summary["preset"], summary["best_epoch"], summary["steps"]) == (preset, 1, 2)
        for name in ("checkpoints/best.ckpt", "checkpoints/last.ckpt", "loss.png", "auc.png"):
            assert (workdir / name).is_file()

    results = {
        backend: json.loads(
            (tmp_path / "quantum" / f"evaluation-validation-{backend}.json").read_text()
        )
        for backend in ("jax", "reference")
    }
    assert results["jax"]["samples"] == results["reference"]["samples"] == 128
    assert results["reference"]["command"].startswith("qrkt evaluate --workdir ")
    assert results["reference"]["command"].endswith("--backend reference")
    for metric in ("loss", "accuracy", "f1", "auc"):
        assert results["reference"][metric] == pytest.approx(results["jax"][metric], rel=1e-5)
    assert "digits-qrk1  validation  reference  128" in (tmp_path / "reference.out").read_text()


def test_train_refuses_to_overwrite_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "metrics.jsonl").write_text("")
    assert main(["train", "--preset", "digits-rk1", "--workdir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"qrkt: error: work directory {tmp_path} already holds a run; pass --resume to continue "
        "it, or choose another --workdir\n"
    )


def test_train_resume_says_when_there_is_nothing_to_resume_or_nothing_left_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 18: --resume of nothing started a new run; of a finished run, it compiled again."""
    command = ["train", "--preset", "digits-rk1", "--epochs", "1", "--limit", "64"]
    assert main([*command, "--workdir", str(tmp_path / "none"), "--resume"]) == 2
    assert "holds no run to resume" in capsys.readouterr().err
    assert main([*command, "--workdir", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    assert main([*command, "--workdir", str(tmp_path / "run"), "--resume"]) == 0
    assert capsys.readouterr().out.startswith(
        f"qrkt: the run in {tmp_path / 'run'} had already trained all its epochs: nothing left "
        "to do; its summary:\n"
    )


def test_several_hosts_need_all_three_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["train", "--preset", "digits-rk1", "--workdir", str(tmp_path)]
    assert main([*command, "--num-processes", "2"]) == 2
    assert capsys.readouterr().err == (
        "qrkt: error: a run over several hosts needs all of --coordinator-address, "
        "--num-processes and --process-id; got None, 2 and None\n"
    )


def test_train_stops_at_its_time_limit_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One step of a digits preset passes a limit of a microsecond: the run stops after its
    first epoch of two, and says how to train on."""
    command = ["train", "--preset", "digits-rk1", "--epochs", "2", "--limit", "64"]
    assert main([*command, "--time-limit", "1e-6", "--workdir", str(tmp_path)]) == 0
    assert (
        f"qrkt: the run in {tmp_path} stopped at its time limit (1e-06 s of training) after 1 "
        "steps, in epoch 1 of 2; resume it with a longer --time-limit to train on"
    ) in capsys.readouterr().out
    assert json.loads((tmp_path / "summary.json").read_text())["stopped_by_time_limit"]
