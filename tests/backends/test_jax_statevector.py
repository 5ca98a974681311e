"""The ``jax`` simulator: options, batching, JAX global state, transforms and its compiler."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qrkt.backends.fused_program import Op, compile_program
from qrkt.backends.jax_statevector import JaxStatevectorBackend
from qrkt.backends.reference import ReferenceBackend
from qrkt.circuits.ansatz import build_ansatz, qrkt_ansatz
from qrkt.circuits.ir import (
    Circuit,
    circuit,
    cnot,
    h,
    input_param,
    rx,
    ry,
    rz,
    weight_param,
)
from qrkt.errors import BackendInputError, UnsupportedError

REFERENCE = ReferenceBackend()


def _sample(c: Circuit, batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-np.pi, np.pi, (batch, c.n_inputs)), rng.uniform(-np.pi, np.pi, c.n_weights)


# --- options ----------------------------------------------------------------------------------


def _names_all(*fragments: str) -> str:
    """A pattern matching a message that contains every fragment, in any order."""
    return "".join(f"(?=.*{re.escape(f)})" for f in fragments)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"dtype": "float32"}, _names_all("dtype", "'float32'", "complex64", "complex128")),
        ({"dtype": "complex256"}, _names_all("dtype", "'complex256'", "complex64", "complex128")),
        ({"block_size": 0}, r"block_size must be an integer >= 1 or None, got 0"),
        ({"block_size": 2.0}, r"block_size must be an integer >= 1 or None, got 2\.0"),
        ({"streams": True}, r"streams must be an integer >= 1 or None, got True"),
        ({"streams": -1}, r"streams must be an integer >= 1 or None, got -1"),
    ],
)
def test_bad_options_rejected(options: dict[str, object], message: str) -> None:
    with pytest.raises(BackendInputError, match=message):
        JaxStatevectorBackend(**options)  # type: ignore[arg-type]


# --- batching ---------------------------------------------------------------------------------

SETTINGS = {
    37: [
        {},  # default block size exceeds the batch: one remainder block
        {"block_size": 8, "streams": 2},  # 4 whole blocks in 2 streams, then 5 left over
        {"block_size": 8, "streams": 1},
        {"block_size": 5, "streams": 3},
        {"block_size": 1, "streams": 4},
    ],
    1: [{}, {"block_size": 1, "streams": 2}, {"block_size": 8, "streams": 2}],
}


@pytest.mark.parametrize("batch", [37, 1])
def test_block_and_stream_settings_agree(batch: int) -> None:
    c = qrkt_ansatz(2)
    x, w = _sample(c, batch)
    settings = SETTINGS[batch]
    results = [JaxStatevectorBackend(**s).run(c, x, w) for s in settings]  # type: ignore[arg-type]
    for options, values in zip(settings, results, strict=True):
        assert values.shape == (batch, 2), options
        np.testing.assert_allclose(values, results[0], atol=1e-6, err_msg=str(options))
    np.testing.assert_allclose(results[0], REFERENCE.run(c, x, w), atol=1e-5)


# --- JAX global state and precision -----------------------------------------------------------


def test_complex128_run_leaves_x64_unchanged_and_is_double_precision() -> None:
    c = qrkt_ansatz(3)
    x, w = _sample(c, 4)
    before = jax.config.jax_enable_x64
    values = JaxStatevectorBackend("complex128").run(c, x, w)
    assert jax.config.jax_enable_x64 == before
    np.testing.assert_allclose(values, REFERENCE.run(c, x, w), atol=1e-12)


def test_complex128_function_in_jit_without_x64_says_how_to_enable_it() -> None:
    if jax.config.jax_enable_x64:
        pytest.skip("needs jax_enable_x64 off")
    c = qrkt_ansatz(2)
    f = JaxStatevectorBackend("complex128").expectation_fn(c)
    with pytest.raises(UnsupportedError, match=r"jax_enable_x64"):
        jax.jit(f)(jnp.zeros((2, 2)), jnp.zeros(2))
    assert not jax.config.jax_enable_x64


def test_complex64_function_returns_float32() -> None:
    c = qrkt_ansatz(2)
    values = jax.jit(JaxStatevectorBackend().expectation_fn(c))(jnp.zeros((3, 2)), jnp.zeros(2))
    assert values.dtype == jnp.float32
    np.testing.assert_allclose(values, 1.0, atol=1e-6)


# --- transforms -------------------------------------------------------------------------------


def test_function_under_vmap_over_an_extra_leading_axis() -> None:
    c = qrkt_ansatz(3)
    rng = np.random.default_rng(1)
    x = rng.uniform(-np.pi, np.pi, (4, 5, 3)).astype(np.float32)
    w = rng.uniform(-np.pi, np.pi, 3).astype(np.float32)
    f = JaxStatevectorBackend(block_size=2, streams=2).expectation_fn(c)
    mapped = jax.jit(jax.vmap(f, in_axes=(0, None)))(x, w)
    assert mapped.shape == (4, 5, 3)
    expected = np.stack([REFERENCE.run(c, row, w) for row in x])
    np.testing.assert_allclose(mapped, expected, atol=1e-5)


# --- the compiler -----------------------------------------------------------------------------


def test_pre_entangler_gates_fold_into_the_product_state() -> None:
    c = qrkt_ansatz(3)
    program = compile_program(c)
    per_qubit = [[g for g in c.gates if g.qubits == (q,)][:3] for q in range(3)]
    # qubit 0 meets its first CNOT after H(0); qubits 1 and 2 after CNOT(0, 1) / CNOT(1, 2)
    assert program.factors == (
        (*per_qubit[0], h(0)),
        tuple(per_qubit[1]),
        tuple(per_qubit[2]),
    )
    assert program.ops == (
        Op((0, 1), (cnot(0, 1),)),
        Op((1, 2), (h(1), cnot(1, 2))),
        Op((2, 0), (h(2), cnot(2, 0))),
    )


def test_trailing_rz_before_a_z_readout_is_dropped() -> None:
    gates = [ry(0, input_param(0)), cnot(0, 1), rx(1, weight_param(0)), rz(1, weight_param(1))]
    gates += [rz(0, 0.3), rz(0, input_param(0))]
    program = compile_program(circuit(2, gates))
    assert program.ops == (Op((0, 1), (cnot(0, 1),)), Op((1,), (rx(1, weight_param(0)),)))


def test_rz_followed_by_rx_is_kept() -> None:
    """Regression: only an RZ that is last on its qubit commutes with the Z readout."""
    gates = [
        ry(0, input_param(0)),
        ry(1, input_param(1)),
        cnot(0, 1),
        rz(1, weight_param(0)),
        rx(1, weight_param(1)),
    ]
    c = circuit(2, gates)
    program = compile_program(c)
    assert program.ops[-1] == Op((1,), (rz(1, weight_param(0)), rx(1, weight_param(1))))
    x = np.array([[0.7, 1.1], [-0.4, 2.0]])
    for weights in ([0.0, 0.9], [1.3, 0.9]):
        np.testing.assert_allclose(
            JaxStatevectorBackend().run(c, x, np.array(weights)),
            REFERENCE.run(c, x, np.array(weights)),
            atol=1e-5,
        )
    # the RZ matters here, so the check above would catch dropping it
    assert not np.allclose(REFERENCE.run(c, x, [0.0, 0.9]), REFERENCE.run(c, x, [1.3, 0.9]))


def test_rz_before_the_first_cnot_is_folded_not_dropped() -> None:
    c = circuit(2, [h(0), rz(0, weight_param(0)), h(1), cnot(1, 0), h(0)])
    program = compile_program(c)
    assert program.factors[0] == (h(0), rz(0, weight_param(0)))
    x = np.zeros((1, 0))
    for angle in (0.0, 1.2):
        np.testing.assert_allclose(
            JaxStatevectorBackend().run(c, x, [angle]), REFERENCE.run(c, x, [angle]), atol=1e-5
        )
    assert not np.allclose(REFERENCE.run(c, x, [0.0]), REFERENCE.run(c, x, [1.2]))


def test_circuit_without_cnot() -> None:
    c = circuit(
        3,
        [ry(0, input_param(0)), rx(1, weight_param(0)), rz(1, weight_param(1)), h(2), rx(1, 0.4)],
    )
    program = compile_program(c)
    assert program.ops == ()
    x, w = _sample(c, 5)
    backend = JaxStatevectorBackend()
    np.testing.assert_allclose(backend.run(c, x, w), REFERENCE.run(c, x, w), atol=1e-5)
    f = backend.expectation_fn(c)
    grad_x, grad_w = jax.jit(jax.grad(lambda x, w: f(x, w).sum(), argnums=(0, 1)))(
        x.astype(np.float32), w.astype(np.float32)
    )
    # <Z0> = cos(x0); <Z1> = cos(w0) cos(a) - sin(w0) cos(w1) sin(a) with a = 0.4: the RZ
    # between the two RX rotations matters; <Z2> = 0
    a, (w0, w1) = 0.4, w
    np.testing.assert_allclose(grad_x[:, 0], -np.sin(x[:, 0]), atol=1e-5)
    expected_w = 5 * np.array(
        [
            -np.sin(w0) * np.cos(a) - np.cos(w0) * np.cos(w1) * np.sin(a),
            np.sin(w0) * np.sin(w1) * np.sin(a),
        ]
    )
    np.testing.assert_allclose(grad_w, expected_w, atol=1e-4)


# --- strategies -------------------------------------------------------------------------------


def test_an_unknown_strategy_is_refused_with_the_known_ones() -> None:
    with pytest.raises(BackendInputError, match=_names_all("'scan'", "'auto'", "'sweep'")):
        JaxStatevectorBackend(strategy="scan")


@pytest.mark.parametrize(
    ("ansatz", "n", "layers", "strategy"),
    [
        ("qrkt", 8, 1, "product-state readout"),
        ("qrkt", 8, 2, "contraction"),
        ("cara", 12, 2, "contraction"),
        ("cara", 12, 3, "contraction"),  # a randomized greedy order: 0.88x the sweep's cost
        ("qrkt", 12, 4, "sweep"),  # 3.2x
        ("qrkt", 14, 4, "contraction"),  # 2.3x, but the sweep is bound by memory from n = 14
    ],
)
def test_auto_picks_the_cheaper_strategy_for_the_circuit(
    ansatz: str, n: int, layers: int, strategy: str
) -> None:
    assert JaxStatevectorBackend().strategy_for(build_ansatz(ansatz, n, layers)) == strategy


@pytest.mark.parametrize("options", [{"block_size": 8}, {"block_size": 5}, {}])
def test_contraction_in_blocks_agrees_with_the_reference(options: dict[str, int]) -> None:
    c = build_ansatz("qrkt", 3, 2)
    x, w = _sample(c, 37)
    backend = JaxStatevectorBackend(strategy="contraction", **options)
    np.testing.assert_allclose(backend.run(c, x, w), REFERENCE.run(c, x, w), atol=1e-5)
