"""Train on a simulator, evaluate on IBM Quantum: a tiny digits model, trained on ``jax`` and
evaluated through qiskit-ibm-runtime's local testing mode on fake devices."""

import json
from pathlib import Path

import jax
import numpy as np
import pytest

from qrkt import pretrained
from qrkt.backends.registry import backend_entry, get_backend
from qrkt.cli import main
from qrkt.errors import JobError, TrainingError
from qrkt.presets import build_model, get_preset
from qrkt.training import evaluate
from qrkt.training.target import load_target

if not backend_entry("ibm_runtime").installed:
    pytest.skip(backend_entry("ibm_runtime").install_command, allow_module_level=True)

from tests.backends.fake_runtime_service import FakeRuntimeService
from tests.training.subprocesses import run_script

PRESET = "digits-qrk1-4q"  # 4-qubit circuits: they fit the 5-qubit fake_manila
CLI = "import sys; from qrkt.cli import main; sys.exit(main(sys.argv[1:]))"
SECRET = "qrkt-test-token-0f9e8d7c"
SAMPLES, BATCH = ["--limit", "8", "--batch-size", "4"], 4
LOCAL = (("device", "fake_manila"), ("shots", 256), ("seed", 1))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One training step of the tiny quantum digits preset on jax."""
    workdir = tmp_path_factory.mktemp("run")
    run_script(
        CLI,
        *["train", "--preset", PRESET, "--workdir", workdir, "--epochs", "1"],
        *["--limit", "16", "--batch-size", "16"],
    )
    return workdir


@pytest.fixture(scope="module")
def evaluated(run: Path) -> tuple[Path, str]:
    """The run, evaluated on fake_manila with the command line (a token in the environment);
    and what the command printed."""
    out = run_script(
        CLI,
        *["evaluate", "--workdir", run, "--backend", "ibm_runtime", "--device", "fake_manila"],
        *[*SAMPLES, "--shots", "256", "--seed", "1"],
        env={"QISKIT_IBM_TOKEN": SECRET},  # must not leak anywhere
    )
    return run, out


def sequential_layer_calls(workdir: Path) -> int:
    """Quantum-layer calls in one batch, counted on the host backend ``reference``."""
    target = load_target(workdir, limit=BATCH)
    model = build_model(target.trained.model, backend="reference")
    counts = get_backend("reference").counts
    before = counts.calls
    jax.jit(model.apply)({"params": target.trained.params}, target.data.inputs).block_until_ready()
    return counts.calls - before


def test_evaluate_on_a_fake_device_runs_one_job_per_layer_call_and_reports_parity(
    evaluated: tuple[Path, str],
) -> None:
    run, out = evaluated
    calls = sequential_layer_calls(run)
    assert calls == sum(get_preset(PRESET).model.circuit_widths.values()) == 11
    result = json.loads((run / "evaluation-validation-ibm_runtime-fake_manila.json").read_text())
    assert result["samples"] == 8
    assert result["calls_per_batch"] == calls
    assert result["jobs"] == result["calls_run"] == 2 * calls  # two batches, one job per call
    assert f"{2 * calls} layer call(s) run in {2 * calls} job(s), estimated QPU time" in out
    assert result["estimated_qpu_seconds"] > 2 * calls * 2.0  # each job's overhead at least
    assert result["billed_qpu_seconds"] is None  # local testing mode bills nothing
    parity = json.loads((run / "parity-validation-ibm_runtime-fake_manila.json").read_text())
    assert parity["samples"] == 8
    assert parity["accuracy_delta"] == pytest.approx(parity["accuracy"] - parity["exact_accuracy"])
    assert 0 <= parity["prediction_agreement"] <= 1
    assert len(parity["layers"]) == calls
    for layer in parity["layers"]:
        assert layer["qubits"] == 4 and layer["calls"] == 2
        assert 0 < layer["mae"] < 0.5  # 256 shots on a noisy device: wrong, not random
    written = [p.read_bytes() for p in run.rglob("*") if p.is_file()]
    assert all(SECRET.encode() not in data for data in written)
    assert SECRET not in out


def test_an_interrupted_evaluation_resumes_without_resubmitting_finished_batches(
    evaluated: tuple[Path, str],
) -> None:
    run, _ = evaluated
    uninterrupted = json.loads(
        (run / "evaluation-validation-ibm_runtime-fake_manila.json").read_text()
    )
    calls = uninterrupted["calls_per_batch"]

    def stop_after_first_batch(done: int, total: int) -> None:
        if done == 1:
            raise KeyboardInterrupt

    arguments = {"backend": "ibm_runtime", "limit": 8, "batch_size": BATCH, "name": "cut"}
    with pytest.raises(KeyboardInterrupt):
        evaluate(run, **arguments, backend_options=LOCAL, progress=stop_after_first_batch)
    with pytest.raises(TrainingError, match=r"already holds an evaluation .* with --resume"):
        evaluate(run, **arguments, backend_options=LOCAL)
    with pytest.raises(TrainingError, match="512 shots"):
        evaluate(run, **arguments, backend_options=(*LOCAL[:1], ("shots", 512)), resume=True)
    counts = get_backend("ibm_runtime", **dict(LOCAL)).counts
    jobs = counts.jobs
    resumed = evaluate(run, **arguments, backend_options=LOCAL, resume=True)
    assert counts.jobs - jobs == calls  # the second batch only
    assert resumed["jobs"] == 2 * calls
    for key in ("loss", "accuracy", "auc"):  # seeded sampling: the same numbers
        assert resumed[key] == uninterrupted[key]


def test_a_failed_job_stops_the_run_and_resuming_replays_the_finished_calls(run: Path) -> None:
    service = FakeRuntimeService(faults=[None, None, None, "failed"])  # the 4th job fails
    options = (*LOCAL, ("service", service), ("max_retries", 0))
    arguments = {"backend": "ibm_runtime", "limit": 4, "batch_size": BATCH, "name": "faulty"}
    with pytest.raises(JobError, match="job fake-job-3, failed after 1 attempt"):
        evaluate(run, **arguments, backend_options=options)
    result = evaluate(run, **arguments, backend_options=options, resume=True)
    assert result["calls_replayed"] == 3  # the three jobs that completed
    assert len(service.submissions) == 4 + result["calls_per_batch"] - 3


def test_dry_run_prices_the_run_and_submits_nothing(
    run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    device = ["--backend", "ibm_runtime", "--device", "fake_manila", "--shots", "1000"]
    assert main(["evaluate", "--workdir", str(run), *device, *SAMPLES, "--dry-run"]) == 0
    out = capsys.readouterr().out
    # 11 calls of 4 samples x 4 patches each: 176 circuits a batch, one job and round trip a call
    assert (
        "per batch   11 job(s) in 11 sequential round trip(s), 176 circuits, 176,000 shots" in out
    )
    assert "in all      22 job(s) in 22 sequential round trip(s), 352 circuits" in out
    assert "estimated QPU time" in out and "transpiled depth" in out
    assert not (run / "evaluations" / "validation-ibm_runtime-fake_manila-dry").exists()
    assert get_backend("ibm_runtime", device="fake_manila", shots=1000).counts.jobs == 0


def test_dry_run_fails_early_when_the_circuits_do_not_fit_the_device(
    run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    device = ["--backend", "ibm_runtime", "--device", "fake_armonk"]
    assert main(["evaluate", "--workdir", str(run), *device, *SAMPLES, "--dry-run"]) == 2
    assert "on device 'fake_armonk' runs at most 1 qubits, got a 4-qubit circuit" in (
        capsys.readouterr().err
    )


def test_predict_classifies_png_and_npy_images(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image

    from qrkt.data.digits import read_embedded

    images = read_embedded()[0]
    png = tmp_path / "digit.png"
    Image.fromarray((images[0] * 255 // 16).astype(np.uint8)).resize((32, 32)).save(png)
    npy = tmp_path / "digits.npy"
    np.save(npy, images[1:3])
    assert main(["predict", "--workdir", str(run), "--input", str(png), str(npy)]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines()[2:5]]
    assert [row[0] for row in rows] == [str(png), f"{npy}[0]", f"{npy}[1]"]
    assert all(0 <= int(row[1]) <= 9 and 0 < float(row[2]) <= 1 for row in rows)
    assert f"note: {png}: resized from 32x32 to 8x8" in out


def test_a_packed_evaluation_resumes_without_resubmitting_finished_calls(run: Path) -> None:
    # two 4-qubit regions of fake_guadalupe: every call runs two samples an execution, the
    # packed circuit simulated whole (8 qubits), one job a call
    service = FakeRuntimeService(faults=[None, None, None, "failed"])
    options = (("device", "fake_guadalupe"), ("shots", 256), ("seed", 1), ("packing", 2))
    options = (*options, ("service", service), ("max_retries", 0))
    arguments = {"backend": "ibm_runtime", "limit": 4, "name": "packed"}
    with pytest.raises(JobError, match="job fake-job-3, failed after 1 attempt"):
        evaluate(run, **arguments, backend_options=options)
    result = evaluate(run, **arguments, backend_options=options, resume=True)
    assert result["calls_replayed"] == 3
    assert len(service.submissions) == 4 + result["calls_per_batch"] - 3
    plan = json.loads((Path(result["run_directory"]) / "plan.json").read_text())
    assert plan["batch_sizes"] == [4]  # a device evaluation takes every sample at once
    assert plan["total"]["executions"] * 2 == plan["total"]["parameter_sets"]
    (use,) = plan["circuits"]
    assert len(use["statistics"]["regions"]) == 2
    assert result["parity"]["prediction_agreement"] >= 0.5


def test_shots_auto_chooses_the_shots_before_running(run: Path) -> None:
    options = (("device", "fake_manila"), ("shots", "auto"), ("seed", 1))
    result = evaluate(run, backend="ibm_runtime", limit=4, backend_options=options, name="auto")
    choice = result["shot_choice"]
    assert choice["met"] and choice["shots"] >= 64
    assert f"{choice['shots']} shots" in result["backend"]


def test_a_packed_evaluation_on_a_156_qubit_device_runs_locally_end_to_end(
    tmp_path: Path,
) -> None:
    # fake_fez is too wide for Aer: the regions are simulated a few at a time, each on a
    # device of its own qubits, and the run is priced as the packed jobs ibm_fez would run.
    model = pretrained.load("digits-qrk1-4q", tmp_path)
    options = (("device", "fake_fez"), ("shots", 128), ("seed", 2), ("packing", 3))
    result = evaluate(model, backend="ibm_runtime", limit=6, backend_options=options)
    plan = json.loads((Path(result["run_directory"]) / "plan.json").read_text())
    (use,) = plan["circuits"]
    assert [len(r["qubits"]) for r in use["statistics"]["regions"]] == [4, 4, 4]
    assert plan["total"]["executions"] == plan["calls_per_batch"] * 8  # 24 sets in 8 rows of 3
    # locally: one job per group of two regions (8 qubits) and call
    assert result["jobs"] == 2 * result["calls_run"]
    assert result["estimated_qpu_seconds"] == pytest.approx(plan["total"]["qpu_seconds"])
    parity = json.loads(Path(result["parity"]["path"]).read_text())
    assert len(parity["layers"]) == plan["calls_per_batch"]
    assert all(layer["mae"] < 0.3 for layer in parity["layers"])
