import json
from pathlib import Path
from typing import Any

import pytest

from qrkt.circuits import build_ansatz, from_json, from_qasm3
from qrkt.cli import main


def test_backends_lists_every_backend_with_capabilities(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    for name in ("reference", "jax", "tensorcircuit"):
        assert name in out
    assert "autodiff, exact, max 24 qubits" in out


def test_circuit_draws_the_ansatz(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["circuit", "--qubits", "3", "--layers", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("q0: ─RY(x0)")
    assert "qrkt ansatz: 3 qubits, 3 inputs, 6 weights, 27 gates" in out


def test_circuit_exports_json_that_round_trips(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["circuit", "--ansatz", "cara", "--qubits", "4", "--format", "json"]) == 0
    assert from_json(capsys.readouterr().out) == build_ansatz("cara", 4)


def test_circuit_writes_qasm3_to_a_file(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("qiskit_qasm3_import")
    path = tmp_path / "c.qasm"
    assert (
        main(["circuit", "--qubits", "3", "--untied", "--format", "qasm3", "--output", str(path)])
        == 0
    )
    assert from_qasm3(path.read_text()) == build_ansatz("qrkt", 3, tied=False)
    assert f"wrote qasm3 to {path}" in capsys.readouterr().out


def test_circuit_output_creates_missing_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new" / "folder" / "c.json"
    assert main(["circuit", "--qubits", "2", "--format", "json", "--output", str(path)]) == 0
    assert from_json(path.read_text()) == build_ansatz("qrkt", 2)


def test_circuit_output_that_cannot_be_written_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("")
    path = tmp_path / "file" / "c.json"
    assert main(["circuit", "--qubits", "2", "--format", "json", "--output", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"qrkt: error: cannot write --output '{path}' (File exists: {path.parent}); give a "
        "file path in a folder you can write to\n"
    )


def test_bad_width_is_a_clear_error_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["circuit", "--qubits", "0"]) == 2
    assert "qrkt: error: n_qubits must be an integer >= 1, got 0" in capsys.readouterr().err


def test_unknown_ansatz_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["circuit", "--ansatz", "vitt", "--qubits", "2"])
    assert "choose from 'cara', 'qrkt'" in capsys.readouterr().err


def test_demo_compares_backends_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--qubits", "3", "--batch", "2", "--backends", "reference,jax"]) == 0
    out = capsys.readouterr().out
    rows = {
        line.split()[0]: line.split()
        for line in out.splitlines()
        if line.startswith(("reference ", "jax "))
    }
    assert rows["reference"][1:4] == rows["jax"][1:4]  # same rounded values, column by column
    assert float(rows["jax"][4]) < 1e-5  # max |Δ value| against reference


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--batch", "0"], "batch (--batch) must be an integer >= 1, got 0"),
        (
            ["--seed", "99999999999999999999"],
            "seed (--seed) must be an integer from 0 to 4294967295, got 99999999999999999999",
        ),
    ],
)
def test_demo_refuses_a_bad_batch_or_seed(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--qubits", "2", "--backends", "reference", *flags]) == 2
    assert capsys.readouterr().err == f"qrkt: error: {message}\n"


def test_demo_reports_a_failing_backend_and_exits_nonzero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--qubits", "2", "--backends", "reference,nosuch"]) == 1
    assert "failed: unknown backend 'nosuch'" in capsys.readouterr().out


def test_json_export_is_valid_json(capsys: pytest.CaptureFixture[str]) -> None:
    main(["circuit", "--qubits", "2", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["n_qubits"] == 2


def test_presets_lists_names_datasets_and_descriptions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["presets"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[2:]}
    assert {"digits-qrk1", "digits-rk1", "mnist-qrk4-enh", "imdb-qrk4-enh"} <= set(rows)
    assert rows["digits-qrk1"].split()[1] == "digits"


def test_presets_lists_the_gan_presets_too(capsys: pytest.CaptureFixture[str]) -> None:
    from qrkt.gan import GAN_PRESETS

    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["preset", "dataset", "kind", "description"]
    kinds = {line.split()[0]: line.split()[2] for line in lines[2:]}
    assert {name: kinds[name] for name in GAN_PRESETS} == dict.fromkeys(GAN_PRESETS, "GAN")
    assert kinds["digits-qrk1"] == "classifier"


@pytest.mark.parametrize("command", ["train", "train-gan", "evaluate", "evaluate-gan", "predict"])
def test_an_empty_workdir_is_refused(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main([command, "--workdir", ""])
    assert exit.value.code == 2
    assert (
        f"qrkt {command}: error: argument --workdir: got '', an empty path; give the run's "
        "folder, e.g. --workdir runs/digits (--workdir . for the current directory)"
    ) in capsys.readouterr().err


def test_describe_prints_the_preset(capsys: pytest.CaptureFixture[str]) -> None:
    from qrkt.presets import describe_preset

    assert main(["describe", "digits-qrk1"]) == 0
    assert capsys.readouterr().out == describe_preset("digits-qrk1") + "\n"
    assert main(["describe", "nosuch"]) == 2
    assert "unknown preset 'nosuch'; known presets: " in capsys.readouterr().err


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


def test_evaluate_without_a_run_says_to_train_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", "--workdir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"qrkt: error: no checkpoint at {tmp_path / 'checkpoints' / 'best.ckpt'}; train first "
        f"(qrkt train ... --workdir {tmp_path}) or pass the work directory of a finished run\n"
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


def test_backend_flags_and_options_become_backend_options() -> None:
    from qrkt.cli import _backend_options, _parser

    device = ["--backend", "ibm_runtime", "--device", "fake_manila", "--shots", "100"]
    options = ["--option", "twirling=true", "--option", "cache_dir=/tmp/x"]
    args = _parser().parse_args(["evaluate", "--workdir", "w", *device, *options])
    assert _backend_options(args) == (
        ("device", "fake_manila"),
        ("shots", 100),
        ("twirling", True),
        ("cache_dir", "/tmp/x"),
    )


def test_an_option_with_a_list_value_is_a_clear_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    command = ["evaluate", "--workdir", "w", "--backend", "qiskit_aer", "--option", "shots=[1,2]"]
    assert main(command) == 2
    assert capsys.readouterr().err == (
        "qrkt: error: backend 'qiskit_aer' got shots=[1, 2], a list; an option takes one value "
        "(a number, a string, None or an object such as a noise model): give shots a single "
        "value\n"
    )


def test_a_malformed_option_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--workdir", "w", "--option", "noise"]) == 2
    assert "--option takes KEY=VALUE, got 'noise'" in capsys.readouterr().err


def test_a_shot_count_beyond_the_backend_is_refused_with_its_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("qiskit_aer")
    argv = ["evaluate", "--pretrained", "digits-qrk1", "--backend", "qiskit_aer"]
    assert main([*argv, "--shots", "1000000000000"]) == 2
    assert capsys.readouterr().err == (
        "qrkt: error: shots must be an integer from 1 to 10000000 (Aer keeps every shot's bit "
        "string in memory), or None for exact values, got 1000000000000; use fewer shots\n"
    )


def test_an_error_raised_inside_a_host_callback_is_shown_not_jax_wrapper(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qrkt.backends import parameter_shift

    monkeypatch.setattr(parameter_shift, "MEMORY_BUDGET", 512)  # the reference gradient's
    assert main(["demo", "--qubits", "2", "--backends", "jax"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qrkt: error: the parameter-shift gradient of 4 sample(s) x ")
    assert "over the 512 bytes budget" in err and "CpuCallback" not in err


def test_a_reader_that_leaves_early_is_not_an_error() -> None:
    import subprocess
    import sys

    # 800 kB of JSON: far more than a pipe holds, so the writer meets the closed pipe
    command = "from qrkt.cli import main; raise SystemExit(main())"
    arguments = "circuit --qubits 20 --layers 200 --format json"
    run = subprocess.run(
        f"{sys.executable} -c '{command}' {arguments} | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.stdout.startswith("{")
    assert "Traceback" not in run.stderr and "BrokenPipeError" not in run.stderr


def test_the_device_line_counts_devices_by_kind() -> None:
    from types import SimpleNamespace

    from qrkt.cli import _running_on

    gpu = SimpleNamespace(platform="gpu", device_kind="NVIDIA H200")
    cpu = SimpleNamespace(platform="cpu", device_kind="cpu")
    assert _running_on([gpu] * 4) == "running on 4 x gpu (NVIDIA H200), data-parallel"
    assert _running_on([cpu]) == "running on 1 x cpu"


def test_backends_train_train_gan_and_evaluate_say_which_devices_they_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 20: here, on CPU; on a GPU machine the same lines say gpu. Training is data-parallel
    over every device, a GAN on one, evaluation like training or, with a host backend running
    the circuits, on one device."""
    import jax

    import qrkt.gan
    import qrkt.training

    every = f"{len(jax.devices())} x cpu" + (", data-parallel" if len(jax.devices()) > 1 else "")
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert f"\nJAX devices (jax, tensorcircuit): {len(jax.devices())} x cpu\n" in out

    def first_epoch_then_interrupt(config: object, workdir: Path, **kwargs: Any) -> None:
        kwargs["progress"].epoch_started(1, 64, 0)
        raise KeyboardInterrupt

    monkeypatch.setattr(qrkt.training, "train_and_evaluate", first_epoch_then_interrupt)
    monkeypatch.setattr(qrkt.gan, "train_gan", first_epoch_then_interrupt)
    train = ["train", "--preset", "digits-qrk1", "--workdir", str(tmp_path / "run")]
    assert main(train) == 130
    assert capsys.readouterr().out == f"running on {every}\n"
    assert main(["train-gan", "--preset", "digits-qgan", "--workdir", str(tmp_path / "gan")]) == 130
    assert capsys.readouterr().out == "running on 1 x cpu\n"

    evaluate = ["evaluate", "--pretrained", "digits-qrk1", "--workdir", str(tmp_path), "--limit"]
    assert main([*evaluate, "8"]) == 0
    assert capsys.readouterr().out.startswith(f"running on {every}\n")
    assert main([*evaluate, "4", "--batch-size", "4", "--backend", "reference"]) == 0
    assert capsys.readouterr().out.startswith("running on 1 x cpu; the circuits on reference\n")
