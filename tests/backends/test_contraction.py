"""The contraction strategy's network and its cost (the ``jax`` backend's, issue 17)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from qrkt.backends.contraction import contracted_state, network, sweep_cost
from qrkt.backends.fused_program import compile_program
from qrkt.backends.reference import ReferenceBackend
from qrkt.circuits.ansatz import build_ansatz


@pytest.mark.parametrize(("ansatz", "n", "layers"), [("qrkt", 3, 2), ("cara", 4, 3)])
def test_the_contracted_state_gives_the_reference_probabilities(
    ansatz: str, n: int, layers: int
) -> None:
    c = build_ansatz(ansatz, n, layers)
    rng = np.random.default_rng(0)
    x, w = rng.uniform(-3, 3, c.n_inputs), rng.uniform(-3, 3, c.n_weights)
    state = np.asarray(contracted_state(compile_program(c), x, w, np.complex64))
    assert state.shape == (2**n,)
    np.testing.assert_allclose(np.sum(np.abs(state) ** 2), 1.0, atol=1e-5)
    signs = np.array([[1 - 2 * ((k >> (n - 1 - q)) & 1) for q in range(n)] for k in range(2**n)])
    expected = ReferenceBackend().run(c, x[None], w)[0]
    np.testing.assert_allclose(np.abs(state) ** 2 @ signs, expected, atol=1e-5)


def test_every_qubit_and_pass_is_one_tensor_with_its_own_legs() -> None:
    program = compile_program(build_ansatz("qrkt", 4, 2))
    net = network(program)
    assert len(net.legs) == 4 + len(program.ops)
    assert [len(legs) for legs in net.legs[4:]] == [2 * len(op.qubits) for op in program.ops]
    assert sorted(net.output) == sorted(set(net.output)) and len(net.output) == 4
    assert len(net.path) == len(net.legs) - 1  # pairwise contractions down to one tensor


def test_the_order_is_cheaper_than_the_sweep_for_two_and_three_layers_not_for_four() -> None:
    def ratio(layers: int) -> float:
        program = compile_program(build_ansatz("qrkt", 12, layers))
        return network(program).cost / sweep_cost(program)

    # three layers: 3.5 in opt_einsum's greedy order, 0.88 in the randomized search's
    assert ratio(2) < ratio(3) < 1 < 2 < ratio(4)


def test_the_order_is_the_same_in_every_process() -> None:
    """The compile cache keys on the program, so the order must not follow the hash seed."""
    script = (
        "from qrkt.backends.contraction import network;"
        "from qrkt.backends.fused_program import compile_program;"
        "from qrkt.circuits.ansatz import build_ansatz;"
        "print(network(compile_program(build_ansatz('qrkt', 10, 4))).path)"
    )
    paths = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(paths) == 1


def test_the_sweep_costs_one_pass_over_the_state_per_fused_pass() -> None:
    program = compile_program(build_ansatz("cara", 5, 2))
    assert sweep_cost(program) == sum(2**5 * 2 ** len(op.qubits) for op in program.ops)
