"""The shared Qiskit compilation: parameter binding by slot, bit order, observables' layout,
and transpiling once (in memory and through the QPY disk cache)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

pytest.importorskip("qiskit_aer")

import qiskit.transpiler
from qiskit.primitives import BitArray
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit_aer.primitives import EstimatorV2, SamplerV2

from qrkt.backends import qiskit_compile
from qrkt.backends.qiskit_compile import (
    MEASUREMENT_REGISTER,
    compile_circuit,
    estimator_expectations,
    estimator_pub,
    parameter_array,
    sampler_expectations,
    sampler_pub,
    transpile_for,
    z_expectations,
)
from qrkt.backends.reference import ReferenceBackend
from qrkt.circuits.ansatz import qrkt_ansatz
from qrkt.circuits.ir import (
    Circuit,
    ParamKind,
    PauliString,
    circuit,
    cnot,
    input_param,
    rx,
    ry,
    weight_param,
    z,
)
from qrkt.circuits.qiskit_convert import parse_parameter_name
from qrkt.errors import BackendInputError, CircuitError

# X on IR qubit 0 (x0 = pi), copied to qubit 2: <Z> = (-1, 1, -1), <Z0 Z2> = 1. The CNOT
# across the line makes a 5-qubit device's layout move the qubits.
FLIP = circuit(
    3,
    [rx(0, input_param(0)), cnot(0, 2), ry(1, weight_param(0))],
    observables=[z(0), z(1), z(2), PauliString(((0, "Z"), (2, "Z")))],
)
FLIP_VALUES = np.array([[-1.0, 1.0, -1.0, 1.0]])


def line_device(n_qubits: int = 5) -> GenericBackendV2:
    """A device with IBM's basis gates (cx, rz, sx, x) and qubits on a line, like FakeManila."""
    edges = [[a, a + 1] for a in range(n_qubits - 1)]
    return GenericBackendV2(n_qubits, coupling_map=edges + [e[::-1] for e in edges], seed=0)


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    qiskit_compile.clear_caches()
    yield
    qiskit_compile.clear_caches()


@pytest.fixture
def pass_manager_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the preset pass managers built (one per transpilation)."""
    runs: list[int] = []
    original = qiskit.transpiler.generate_preset_pass_manager

    def counting(*args: object, **kwargs: object) -> object:
        runs.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(qiskit.transpiler, "generate_preset_pass_manager", counting)
    return runs


def _exact(compiled: qiskit_compile.CompiledCircuit, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    estimator = EstimatorV2(options={"default_precision": 0.0})
    result = estimator.run([estimator_pub(compiled, parameter_array(compiled, x, w))]).result()
    return estimator_expectations(result[0], x.shape[0])


def _sampled(
    compiled: qiskit_compile.CompiledCircuit, x: np.ndarray, w: np.ndarray, shots: int = 64
) -> np.ndarray:
    pub = sampler_pub(compiled, parameter_array(compiled, x, w), shots)
    result = SamplerV2(seed=0).run([pub]).result()
    return sampler_expectations(result[0], compiled.circuit, x.shape[0])


# --- logical compilation ----------------------------------------------------------------------


def test_compile_circuit_is_built_once_per_circuit() -> None:
    assert compile_circuit(qrkt_ansatz(3)) is compile_circuit(qrkt_ansatz(3))
    assert compile_circuit(qrkt_ansatz(3)) is not compile_circuit(qrkt_ansatz(4))


def test_parameters_are_qiskit_order_and_slots_follow_names() -> None:
    c = circuit(1, [rx(0, weight_param(i)) for i in range(12)] + [ry(0, input_param(0))])
    compiled = compile_circuit(c)
    assert compiled.parameters == tuple(compiled.sampler_circuit.parameters)
    assert compiled.parameters == tuple(compiled.estimator_circuit.parameters)
    for parameter, slot in zip(compiled.parameters, compiled.slots, strict=True):
        assert parse_parameter_name(parameter.name) == slot
    x, w = np.array([[0.5], [0.25]]), np.arange(12.0)
    values = parameter_array(compiled, x, w)
    expected = [
        x[:, s.index] if s.kind is ParamKind.INPUT else [w[s.index]] * 2 for s in compiled.slots
    ]
    np.testing.assert_array_equal(values, np.array(expected).T)


def test_observables_are_little_endian() -> None:
    labels = [op.paulis[0].to_label() for op in compile_circuit(FLIP).observables]
    assert labels == ["IIZ", "IZI", "ZII", "ZIZ"]


def test_sampler_circuit_measures_ir_qubit_j_into_bit_j() -> None:
    measured = compile_circuit(FLIP).sampler_circuit
    register = measured.cregs[0]
    assert register.name == MEASUREMENT_REGISTER
    pairs = [
        (measured.find_bit(i.qubits[0]).index, measured.find_bit(i.clbits[0]).index)
        for i in measured.data
        if i.operation.name == "measure"
    ]
    assert pairs == [(0, 0), (1, 1), (2, 2)]


def test_exact_and_sampled_values_on_the_logical_circuit() -> None:
    compiled = compile_circuit(FLIP)
    x, w = np.array([[np.pi]]), np.array([0.0])
    np.testing.assert_allclose(_exact(compiled, x, w), FLIP_VALUES, atol=1e-12)
    np.testing.assert_array_equal(_sampled(compiled, x, w), FLIP_VALUES)


def test_a_circuit_without_parameters_still_gives_one_row_per_sample() -> None:
    c = circuit(2, [rx(0, np.pi)], n_inputs=1, n_weights=0)
    compiled = compile_circuit(c)
    x, w = np.zeros((5, 1)), np.zeros(0)
    np.testing.assert_allclose(_exact(compiled, x, w), [[-1.0, 1.0]] * 5, atol=1e-12)
    assert _sampled(compiled, x, w).shape == (5, 2)


# --- reading bits -----------------------------------------------------------------------------


def z_expectations_from_counts(counts: dict[str, int], c: Circuit) -> np.ndarray:
    """``z_expectations`` of one counts dictionary (keys like ``"0101"``, bit 0 rightmost)."""
    return z_expectations(BitArray.from_counts(counts, c.n_qubits), c)


def test_z_expectations_read_bit_zero_as_the_rightmost_character() -> None:
    c = circuit(
        2, [], n_inputs=0, n_weights=0, observables=[z(0), z(1), PauliString(((0, "Z"), (1, "Z")))]
    )
    counts = {"01": 30, "11": 10, "00": 60}  # bit 0 is 1 in 40 shots, bit 1 in 10
    np.testing.assert_allclose(z_expectations_from_counts(counts, c), [0.2, 0.8, 0.4])


def test_z_expectations_are_vectorized_over_batch_and_bytes() -> None:
    n = 11  # two bytes per shot
    c = circuit(
        n, [], n_inputs=0, n_weights=0, observables=[z(0), z(9), PauliString(((0, "Z"), (10, "Z")))]
    )
    rng = np.random.default_rng(0)
    samples = rng.integers(0, 2, (3, 50, n)).astype(bool)  # [..., j] is bit j
    bits = BitArray.from_bool_array(samples, order="little")
    expected = np.stack(
        [
            1 - 2 * samples[..., 0].mean(-1),
            1 - 2 * samples[..., 9].mean(-1),
            1 - 2 * (samples[..., 0] ^ samples[..., 10]).mean(-1),
        ],
        axis=-1,
    )
    np.testing.assert_allclose(z_expectations(bits, c), expected)


def test_z_expectations_reject_a_register_of_another_width() -> None:
    bits = BitArray.from_counts({"01": 1}, 2)
    with pytest.raises(BackendInputError, match="has 2 bits, but the circuit has 3 qubits"):
        z_expectations(bits, FLIP)


def test_parameter_values_of_the_wrong_shape_are_rejected() -> None:
    with pytest.raises(BackendInputError, match=r"shape \(B, 2\)"):
        sampler_pub(compile_circuit(FLIP), np.zeros((3, 5)), 10)


# --- device transpilation ---------------------------------------------------------------------


def test_transpiled_circuit_keeps_ir_qubit_order_through_the_layout() -> None:
    compiled = transpile_for(FLIP, line_device())
    layout = compiled.sampler_circuit.layout.final_index_layout()
    assert layout != [0, 1, 2]  # the qubits did move: the test below means something
    assert compiled.estimator_circuit.num_qubits == 5
    assert {op.num_qubits for op in compiled.observables} == {5}
    assert not compiled.estimator_circuit.count_ops().get("measure")
    x, w = np.array([[np.pi]]), np.array([0.0])
    np.testing.assert_allclose(_exact(compiled, x, w), FLIP_VALUES, atol=1e-9)
    np.testing.assert_array_equal(_sampled(compiled, x, w), FLIP_VALUES)


def test_transpiled_ansatz_matches_reference() -> None:
    c = qrkt_ansatz(4, 2)
    compiled = transpile_for(c, line_device(), optimization_level=2)
    rng = np.random.default_rng(0)
    x, w = rng.uniform(-3, 3, (6, c.n_inputs)), rng.uniform(-3, 3, c.n_weights)
    np.testing.assert_allclose(_exact(compiled, x, w), ReferenceBackend().run(c, x, w), atol=1e-9)


def test_transpile_runs_the_pass_manager_once(pass_manager_runs: list[int]) -> None:
    device = line_device()
    first = transpile_for(FLIP, device)
    for batch in (1, 3):
        x, w = np.full((batch, 1), np.pi), np.array([0.0])
        assert transpile_for(FLIP, device) is first
        _sampled(transpile_for(FLIP, line_device()), x, w)
    assert len(pass_manager_runs) == 1
    transpile_for(FLIP, device, optimization_level=0)
    transpile_for(FLIP, line_device(7))
    assert len(pass_manager_runs) == 3  # another level or device is another transpilation


def test_qpy_disk_cache_is_reused_after_memory_is_cleared(
    tmp_path: object, pass_manager_runs: list[int]
) -> None:
    c = qrkt_ansatz(3, 2)
    device = line_device()
    first = transpile_for(c, device, cache_dir=tmp_path)
    assert [p.suffix for p in tmp_path.iterdir()] == [".qpy"]  # type: ignore[attr-defined]
    qiskit_compile.clear_caches()
    loaded = transpile_for(c, device, cache_dir=tmp_path)
    assert len(pass_manager_runs) == 1
    assert loaded is not first
    assert [p.name for p in loaded.parameters] == [p.name for p in first.parameters]
    assert loaded.slots == first.slots
    assert loaded.observables == first.observables
    rng = np.random.default_rng(1)
    x, w = rng.uniform(-3, 3, (4, c.n_inputs)), rng.uniform(-3, 3, c.n_weights)
    np.testing.assert_allclose(_exact(loaded, x, w), _exact(first, x, w), atol=1e-12)
    np.testing.assert_allclose(_exact(loaded, x, w), ReferenceBackend().run(c, x, w), atol=1e-9)


def test_an_unreadable_cache_file_is_a_miss(tmp_path: object, pass_manager_runs: list[int]) -> None:
    device = line_device()
    transpile_for(FLIP, device, cache_dir=tmp_path)
    (path,) = tmp_path.iterdir()  # type: ignore[attr-defined]
    path.write_bytes(b"not qpy")
    qiskit_compile.clear_caches()
    compiled = transpile_for(FLIP, device, cache_dir=tmp_path)
    assert len(pass_manager_runs) == 2
    np.testing.assert_allclose(
        _exact(compiled, np.array([[np.pi]]), np.zeros(1)), FLIP_VALUES, atol=1e-9
    )


def test_a_circuit_wider_than_the_device_is_rejected() -> None:
    with pytest.raises(BackendInputError, match="has 5 qubits, the circuit needs 6"):
        transpile_for(qrkt_ansatz(6), line_device())


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(BackendInputError, match="optimization_level must be 0, 1, 2 or 3"):
        transpile_for(FLIP, line_device(), optimization_level=4)
    with pytest.raises(CircuitError, match="needs a qrkt Circuit"):
        compile_circuit("qrkt")  # type: ignore[arg-type]
