"""The grid report: jax (its product readout where it applies) against the fastest other
candidate in each cell, later runs replacing earlier ones, and the goals counted."""

from __future__ import annotations

from benchmarks.backends_report import render, rows


def _m(backend: str, n: int, forward: float, grad: float, **extra: object) -> dict:
    return {
        "backend": backend,
        "ansatz": extra.pop("ansatz", "qrkt"),
        "layers": extra.pop("layers", 2),
        "n": n,
        "batch": 64,
        "forward_ms": forward,
        "grad_ms": grad,
        "compile_forward_s": 1.0,
        "compile_grad_s": extra.pop("compile_grad_s", 2.0),
        "grad_mib": extra.pop("grad_mib", None),
        "state_mib": 64 * 2**n * 8 / 2**20,
    }


def _report(*results: dict, over_budget: tuple[dict, ...] = ()) -> dict:
    return {
        "command": "python -m benchmarks.backends",
        "results": list(results),
        "over_budget": list(over_budget),
    }


def test_ratios_are_to_the_fastest_other_and_later_runs_replace_earlier_ones() -> None:
    first = _report(
        _m("jax", 8, 2.0, 6.0, grad_mib=1.5, compile_grad_s=4.0),
        _m("tensorcircuit", 8, 1.0, 12.0),
        _m("pennylane", 8, 4.0, 3.0),
    )
    rerun = _report(_m("tensorcircuit", 8, 5.0, 12.0))
    [row] = rows([first, rerun])
    assert row.strategy == "contraction"
    assert row.forward_rival["backend"] == "pennylane" and row.ratio("forward") == 0.5
    assert row.grad_rival["backend"] == "pennylane" and row.ratio("grad") == 2.0
    assert row.compile_ratio == 2.0  # against TensorCircuit's gradient compile
    assert row.memory_ratio == 1.5 / row.jax["state_mib"]
    assert row.memory_to_tensorcircuit is None  # TensorCircuit's memory is not known here


def test_the_product_readout_is_jax_where_it_ran_and_untimed_rivals_are_named() -> None:
    report = _report(
        _m("jax", 4, 1.0, 1.0, layers=1),
        _m("jax-clifford", 4, 0.1, 0.2, layers=1, grad_mib=0.01),
        _m("tensorcircuit", 4, 0.5, 0.1, layers=1, grad_mib=0.02),
        over_budget=(
            {
                "backend": "tfq",
                "ansatz": "qrkt",
                "layers": 1,
                "n": 4,
                "batch": 64,
                "estimated_grad_s": 40.0,
            },
        ),
    )
    [row] = rows([report])
    assert row.strategy == "product" and row.jax["backend"] == "jax-clifford"
    assert row.ratio("forward") == 0.2 and row.ratio("grad") == 2.0
    text = render([row], [report["command"]])
    assert "gradient no slower (x <= 1.0): 0 of 1 cells" in text
    assert "forward no slower than the fastest other (x <= 1.0): 1 of 1" in text
    assert "or under 1.0 MiB: 1 of 1 cells; no more than TensorCircuit's: 1 of 1" in text
    assert "| **2.00** |" in text and "tfq ~40 s" in text
