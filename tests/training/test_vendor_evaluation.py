"""A shipped model evaluated on every vendor route's local device, as on IBM Quantum: the dry
run, an interrupted run resumed without resubmitting finished calls, and a failed job (task)
resubmitted, with the parity report."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from qrkt import pretrained
from qrkt.backends.registry import backend_entry, get_backend
from qrkt.cli import main
from qrkt.training import evaluate

MODEL = "digits-qrk1-4q"  # 4-qubit circuits, 11 layer calls a batch
ARGUMENTS = {"limit": 8, "batch_size": 4}


Faulty = tuple[tuple[tuple[str, object], ...], Callable[[], int]]


def _qiskit_faulty() -> Faulty:
    """Options whose first job fails, and the count of jobs submitted."""
    from tests.backends.test_qiskit_sampler import FlakySampler

    sampler = FlakySampler(["failed"])
    options = (("device", None), ("sampler", sampler), ("retry_delay", 0))
    return options, lambda: sampler.submitted


def _braket_faulty() -> Faulty:
    from tests.backends.fake_braket import FORTE, FakeAwsDevice, FakeBraketClient

    device = FakeAwsDevice(faults=["failed"])
    options = (
        ("device", FORTE),
        ("aws_session", FakeBraketClient(device)),
        ("shots", 128),
        ("retry_delay", 0),
    )
    return options, lambda: len(device.submissions)


def _cirq_faulty() -> Faulty:
    import cirq

    class FlakySampler(cirq.Simulator):
        """A simulator whose first sweep fails as a Quantum Engine job does."""

        sweeps = 0

        def run_batch(self, *args: object, **kwargs: object) -> list:
            FlakySampler.sweeps += 1
            if FlakySampler.sweeps == 1:
                raise RuntimeError("Job projects/p/programs/q/jobs/j failed in state FAILURE")
            return super().run_batch(*args, **kwargs)

    options = (("sampler", FlakySampler(seed=1)), ("shots", 256), ("retry_delay", 0))
    return options, lambda: FlakySampler.sweeps


# backend -> (its local device's command-line flags and options, options that fail one job)
ROUTES = {
    "qiskit": ((("device", "braket_local"), ("shots", 256)), _qiskit_faulty),
    "braket": ((("device", "local"), ("shots", 256)), _braket_faulty),
    "cirq": ((("device", "rainbow-noiseless"), ("shots", 256), ("seed", 1)), _cirq_faulty),
}


@pytest.fixture(params=list(ROUTES))
def route(request: pytest.FixtureRequest) -> str:
    entry = backend_entry(request.param)
    if not entry.installed:
        pytest.skip(entry.install_command)
    return request.param


def flags(options: tuple[tuple[str, object], ...]) -> list[str]:
    return [f"--{key}={value}" for key, value in options]


def test_the_dry_run_prices_the_run_and_submits_nothing(
    route: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local, _ = ROUTES[route]
    command = ["evaluate", "--pretrained", MODEL, "--workdir", str(tmp_path), "--backend", route]
    assert main([*command, *flags(local), "--limit", "8", "--batch-size", "4", "--dry-run"]) == 0
    out = capsys.readouterr().out
    # 11 calls of 4 samples x 4 patches: 176 circuits a batch, one job and round trip a call
    assert "per batch   11 job(s) in 11 sequential round trip(s), 176 circuits" in out
    assert "transpiled depth" in out or "depth" in out
    assert not list(tmp_path.rglob("journal*"))
    assert get_backend(route, **dict(local)).counts.calls == 0


def test_an_interrupted_evaluation_resumes_without_resubmitting_finished_calls(
    route: str, tmp_path: Path
) -> None:
    local, _ = ROUTES[route]
    model = pretrained.load(MODEL, tmp_path)

    def stop_after_first_batch(done: int, total: int) -> None:
        if done == 1:
            raise KeyboardInterrupt

    run = {"backend": route, "backend_options": local, "name": "cut", **ARGUMENTS}
    with pytest.raises(KeyboardInterrupt):
        evaluate(model, **run, progress=stop_after_first_batch)
    counts = get_backend(route, **dict(local)).counts
    calls = counts.calls
    result = evaluate(model, **run, resume=True)
    assert counts.calls - calls == result["calls_per_batch"]  # the second batch only
    assert result["samples"] == 8
    parity = json.loads(Path(result["parity"]["path"]).read_text())
    assert len(parity["layers"]) == result["calls_per_batch"]
    assert all(layer["mae"] < 0.3 for layer in parity["layers"])


def test_a_failed_job_is_resubmitted_and_the_run_completes(route: str, tmp_path: Path) -> None:
    options, submitted = ROUTES[route][1]()
    model = pretrained.load(MODEL, tmp_path)
    result = evaluate(model, backend=route, backend_options=options, limit=4, name="faulty")
    assert result["samples"] == 4
    assert result["jobs"] == result["calls_run"]  # one job's result a call
    assert submitted() == result["calls_run"] + 1  # and the failed job's resubmission
