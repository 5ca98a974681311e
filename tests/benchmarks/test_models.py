"""The model benchmark's quick mode: inference on a JAX and a host backend, and a training step
whose parameter-shift gradient runs exactly the circuits the rule prescribes."""

from __future__ import annotations

from pathlib import Path

from qrkt.circuits.ansatz import build_ansatz
from qrkt.presets import get_preset
from tests.benchmarks.quick import run_quick


def test_quick_mode_counts_the_circuits_of_a_parameter_shift_step(tmp_path: Path) -> None:
    out = tmp_path / "models.json"
    report = run_quick("models", out)
    rows = {(r["kind"], r["backend"]): r for r in report["results"]}
    assert set(rows) == {
        ("inference", "jax"),
        ("inference", "qiskit_aer"),
        ("gradient", "qiskit_aer"),
    }
    for r in rows.values():
        assert r["preset"] == "digits-qrk1" and r["samples_per_s"] > 0
    assert rows["inference", "jax"]["circuits_per_step"] is None  # traced: nothing counted
    forward = rows["inference", "qiskit_aer"]
    gradient = rows["gradient", "qiskit_aer"]
    assert forward["batch"] == gradient["batch"] == 4
    # One forward call per circuit of the model; the gradient adds 2 K parameter sets per row
    # of each call, K being the circuit's parametrized gates.
    widths = get_preset("digits-qrk1").model.circuit_widths
    rows_per_call, remainder = divmod(forward["circuits_per_step"], sum(widths.values()))
    assert remainder == 0 and rows_per_call % 4 == 0  # samples x tokens
    shifted = sum(
        count * 2 * sum(g.param is not None for g in build_ansatz("qrkt", width).gates)
        for width, count in widths.items()
    )
    assert gradient["circuits_per_step"] == forward["circuits_per_step"] + rows_per_call * shifted
    assert (tmp_path / "models-throughput.png").stat().st_size > 0
