"""Circuit packing: region choice from the device's errors, and packed runs that agree, region
by region, with the exact simulator (qubit order, bit order and parameter binding)."""

from __future__ import annotations

import json
import re
import time
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("qiskit_aer")
pytest.importorskip("qiskit_ibm_runtime")

from qiskit.primitives import BitArray
from qiskit.primitives.containers import DataBin
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.transpiler import InstructionProperties
from qiskit_aer import AerSimulator
from qiskit_aer.primitives import SamplerV2

from qrkt.backends import get_backend, packing
from qrkt.backends.packing import PackedCircuit, Region, choose_regions, pack, region_device
from qrkt.backends.qiskit_aer import fake_ibm_device
from qrkt.backends.qiskit_device import check_isa
from qrkt.circuits import build_ansatz
from qrkt.circuits.ir import (
    Circuit,
    PauliString,
    circuit,
    cnot,
    h,
    input_param,
    rx,
    ry,
    rz,
    weight_param,
    z,
)
from qrkt.errors import BackendInputError, UnsupportedError

SHOTS = 4000
QRKT = build_ansatz("qrkt", 3)
# Every qubit different, a CNOT that routing on a line must move, inputs and weights whose
# names sort out of index order (x10 before x2, w10 before w2), and products of Z: a mistake
# in qubit order, bit order or binding shows.
ASYMMETRIC = circuit(
    4,
    [
        ry(0, input_param(0)),
        rx(1, input_param(2)),
        ry(2, input_param(10)),
        rx(3, 0.4),
        cnot(0, 3),
        ry(3, weight_param(10)),
        rz(1, weight_param(2)),
        h(1),
        cnot(2, 1),
        rx(0, input_param(3)),
        ry(2, weight_param(0)),
        cnot(3, 2),
    ],
    n_inputs=11,
    n_weights=12,
    observables=[
        z(0),
        z(1),
        z(2),
        z(3),
        PauliString(((0, "Z"), (2, "Z"))),
        PauliString(((1, "Z"), (3, "Z"))),
    ],
)
CONSTANT = circuit(2, [ry(0, 0.9), cnot(0, 1), rx(1, 0.3)])  # no parameters at all


@pytest.fixture(scope="module")
def montreal():
    return fake_ibm_device("fake_montreal")


@pytest.fixture(scope="module")
def fez():
    return fake_ibm_device("fake_fez")


def arguments(c: Circuit, batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-np.pi, np.pi, (batch, c.n_inputs)), rng.uniform(-np.pi, np.pi, c.n_weights)


def assert_shot_close(actual: np.ndarray, exact: np.ndarray, shots: int = SHOTS) -> None:
    """Within 5 standard errors of a mean of +-1 values, plus 0.01."""
    tolerance = 5 * np.sqrt(np.clip(1 - exact**2, 0, None) / shots) + 0.01
    errors = np.abs(actual - exact)
    worst = np.unravel_index(np.argmax(errors - tolerance), errors.shape)
    assert np.all(errors <= tolerance), (
        f"sample {worst[0]}, observable {worst[1]}: {actual[worst]:.4f} vs exact "
        f"{exact[worst]:.4f} (tolerance {tolerance[worst]:.4f})"
    )


def run_wide(packed: PackedCircuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    values = packed.values(inputs, weights)
    result = SamplerV2(seed=7).run([packed.sampler_pub(values, SHOTS)]).result()
    return packed.expectations(result[0], len(inputs))


def run_regions(
    packed: PackedCircuit, inputs: np.ndarray, weights: np.ndarray, max_qubits: int = 1
) -> np.ndarray:
    """Run the packed circuit's local groups (one region each by default)."""
    groups = packed.local_groups(max_qubits)
    pubs = [
        packed.sampler_pub(packed.values(inputs, weights, region=g), SHOTS, region=g)
        for g in groups
    ]
    result = SamplerV2(seed=11).run(pubs).result()
    return packed.local_expectations(list(result), groups, len(inputs))


def distance_between(device, a: Region, b: Region) -> int:
    return min(int(device.coupling_map.distance(p, q)) for p in a.qubits for q in b.qubits)


def assert_valid(device, regions: tuple[Region, ...], width: int, gap: int) -> None:
    """Each region a path of ``width`` qubits; every two at least ``gap + 1`` hops apart."""
    edges = {frozenset(e) for e in device.coupling_map.get_edges()}
    for region in regions:
        assert len(region.qubits) == len(set(region.qubits)) == width
        assert all(
            frozenset(p) in edges for p in zip(region.qubits, region.qubits[1:], strict=False)
        )
    for i, a in enumerate(regions):
        for b in regions[i + 1 :]:
            assert distance_between(device, a, b) >= gap + 1


# --- region choice ------------------------------------------------------------------------------


def set_error(device, name: str, qargs: tuple[int, ...], error: float) -> None:
    old = device.target[name][qargs]
    device.target.update_instruction_properties(
        name, qargs, InstructionProperties(duration=old.duration, error=error)
    )


def test_regions_avoid_the_qubits_and_edges_made_bad() -> None:
    fresh = choose_regions(fake_ibm_device("fake_guadalupe"), 3, floor=0)
    bad_qubit = fresh[0].qubits[1]  # the best region's middle qubit
    bad_edge = fresh[1].qubits[:2]  # an edge of the second best

    device = fake_ibm_device("fake_guadalupe")  # a fresh instance: its target is its own
    set_error(device, "measure", (bad_qubit,), 0.4)
    for qargs in (bad_edge, bad_edge[::-1]):
        set_error(device, "cx", qargs, 0.3)
    assert device.target["measure"][(bad_qubit,)].error == 0.4

    regions = choose_regions(device, 3)
    assert regions
    for region in regions:
        assert bad_qubit not in region.qubits
        assert not set(bad_edge) <= set(region.qubits)
    assert_valid(device, regions, 3, gap=1)

    # Without the floor, regions through the bad spots may be taken, but only after the others.
    everything = choose_regions(device, 3, floor=0, gap=0)
    fidelities = [region.fidelity for region in everything]
    assert fidelities == sorted(fidelities, reverse=True)
    bad = [i for i, r in enumerate(everything) if bad_qubit in r.qubits]
    assert all(everything[i].fidelity < 0.7 * everything[0].fidelity for i in bad)


def test_region_figures_come_from_the_target() -> None:
    device = fake_ibm_device("fake_guadalupe")
    region = choose_regions(device, 3, count=1)[0]
    target = device.target
    qubits, edges = region.qubits, list(zip(region.qubits, region.qubits[1:], strict=False))
    readout = [target["measure"][(q,)].error for q in qubits]
    sx = [target["sx"][(q,)].error for q in qubits]
    cx = [min(target["cx"][e].error, target["cx"][e[::-1]].error) for e in edges]
    assert region.readout_error == pytest.approx(np.mean(readout))
    assert region.single_qubit_error == pytest.approx(np.mean(sx))
    assert region.gate_error == pytest.approx(np.mean(cx))
    expected = (
        np.prod(1 - np.array(readout)) * np.prod(1 - np.array(sx)) * np.prod(1 - np.array(cx))
    )
    assert region.fidelity == pytest.approx(expected)
    data = json.loads(json.dumps(region.to_dict()))
    assert data["qubits"] == list(qubits) and data["fidelity"] == pytest.approx(region.fidelity)


def test_count_floor_and_gap(montreal) -> None:
    all_regions = choose_regions(montreal, 3, floor=0)
    assert len(all_regions) >= 4
    assert choose_regions(montreal, 3, count=2, floor=0) == all_regions[:2]

    with pytest.raises(UnsupportedError, match=r"fits (\d+) region\(s\)") as caught:
        choose_regions(montreal, 3, count=len(all_regions) + 1, floor=0)
    fits = int(re.search(r"fits (\d+)", str(caught.value)).group(1))
    assert fits == len(all_regions)
    assert "lower gap or floor" in str(caught.value)

    floored = choose_regions(montreal, 3, floor=0.97)
    assert 1 <= len(floored) <= len(all_regions)
    assert all(r.fidelity >= 0.97 * floored[0].fidelity for r in floored)
    assert len(choose_regions(montreal, 3, floor=1.0)) == 1

    touching = choose_regions(montreal, 3, floor=0, gap=0)
    apart = choose_regions(montreal, 3, floor=0, gap=2)
    assert len(touching) >= len(all_regions) >= len(apart)
    assert_valid(montreal, touching, 3, gap=0)
    assert_valid(montreal, all_regions, 3, gap=1)
    assert_valid(montreal, apart, 3, gap=2)
    singles = choose_regions(montreal, 1, floor=0, gap=0)  # every qubit, best first
    target = montreal.target
    quality = {
        q: (1 - target["measure"][(q,)].error) * (1 - target["sx"][(q,)].error) for q in range(27)
    }
    assert [r.qubits[0] for r in singles] == sorted(range(27), key=lambda q: -quality[q])


def test_many_regions_on_a_156_qubit_device_quickly(fez) -> None:
    assert fez.target is not None  # built once, outside the timing
    counts = {}
    for width in (3, 6, 10):
        start = time.perf_counter()
        regions = choose_regions(fez, width)
        seconds = time.perf_counter() - start
        counts[width] = len(regions)
        print(f"fake_fez width {width}: {len(regions)} regions in {seconds * 1e3:.1f} ms")
        assert seconds < 1.0
        assert_valid(fez, regions, width, gap=1)
    assert counts[3] >= 20 and counts[6] >= 10


def test_beam_search_on_a_dense_grid_still_gives_valid_regions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    side = 6
    edges = [[r * side + c, r * side + c + 1] for r in range(side) for c in range(side - 1)] + [
        [r * side + c, (r + 1) * side + c] for r in range(side - 1) for c in range(side)
    ]
    grid = GenericBackendV2(side * side, coupling_map=edges + [e[::-1] for e in edges], seed=0)
    exhaustive = choose_regions(grid, 5, floor=0)
    monkeypatch.setattr(packing, "MAX_PARTIAL_PATHS", 200)
    beam = choose_regions(grid, 5, floor=0)
    assert_valid(grid, beam, 5, gap=1)
    assert len(beam) >= 0.6 * len(exhaustive)


def test_a_device_without_coupling_map_gets_one_region() -> None:
    aer = AerSimulator()
    assert choose_regions(aer, 3) == (Region((0, 1, 2)),)
    with pytest.raises(UnsupportedError, match=r"no coupling map.*count=2"):
        choose_regions(aer, 3, count=2)
    packed = pack(QRKT, aer, choose_regions(aer, 3))
    inputs, weights = arguments(QRKT, 3)
    exact = get_backend("reference").run(QRKT, inputs, weights)
    assert_shot_close(run_wide(packed, inputs, weights), exact)
    assert packed.duration_seconds == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 0}, "width must be an integer >= 1, got 0"),
        ({"width": 17}, "width must be an integer from 1 to 16, got 17"),
        ({"width": 3, "count": 0}, "count must be an integer >= 1, got 0"),
        ({"width": 3, "gap": -1}, "gap must be an integer >= 0, got -1"),
        ({"width": 3, "floor": 1.5}, "floor must be a number in \\[0, 1\\].*got 1.5"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict, message: str) -> None:
    device = fake_ibm_device("fake_guadalupe")
    with pytest.raises(BackendInputError, match=message):
        choose_regions(device, **kwargs)


def test_no_path_that_wide() -> None:
    split = GenericBackendV2(6, coupling_map=[[0, 1], [1, 2], [3, 4], [4, 5]], seed=0)
    with pytest.raises(UnsupportedError, match="no connected path of 4 measurable qubits"):
        choose_regions(split, 4)


# --- packing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("c", [QRKT, ASYMMETRIC], ids=["qrkt", "asymmetric"])
def test_packed_runs_agree_with_reference_per_region(montreal, c: Circuit) -> None:
    regions = choose_regions(montreal, c.n_qubits, floor=0)
    assert len(regions) >= 2
    packed = pack(c, montreal, regions)
    check_isa(packed.wide, montreal)
    batch = 2 * packed.n_regions + 1  # the last row is partly padding
    inputs, weights = arguments(c, batch, seed=c.n_qubits)
    exact = get_backend("reference").run(c, inputs, weights)
    assert np.ptp(exact, axis=0).min() > 0.2  # samples differ, so a shuffled order shows

    assert_shot_close(run_wide(packed, inputs, weights), exact)
    assert_shot_close(run_regions(packed, inputs, weights), exact)
    assert_shot_close(run_regions(packed, inputs, weights, max_qubits=2 * c.n_qubits), exact)


def test_region_circuits_simulate_a_device_too_wide_for_aer(fez) -> None:
    regions = choose_regions(fez, 3, count=12)  # region 10 sorts before region 2 by name
    packed = pack(QRKT, fez, regions)
    check_isa(packed.wide, fez)
    for region, qc in zip(regions, packed.region_circuits, strict=True):
        check_isa(qc, region_device(fez, [region]))
    groups = packed.local_groups(16)  # five regions of 3 qubits a group
    assert [len(group.regions) for group in groups] == [5, 5, 2]
    for group in groups:
        check_isa(group.circuit, region_device(fez, [regions[r] for r in group.regions]))
    inputs, weights = arguments(QRKT, 2 * 12 + 5, seed=3)
    exact = get_backend("reference").run(QRKT, inputs, weights)
    assert_shot_close(run_regions(packed, inputs, weights, max_qubits=16), exact)
    assert_shot_close(run_regions(packed, inputs, weights), exact)


def test_directed_two_qubit_gates_stay_native() -> None:
    sherbrooke = fake_ibm_device("fake_sherbrooke")  # ECR in one direction per edge
    packed = pack(ASYMMETRIC, sherbrooke, choose_regions(sherbrooke, 4, count=6, floor=0))
    check_isa(packed.wide, sherbrooke)


def test_the_packed_circuit_keeps_regions_apart(montreal) -> None:
    regions = choose_regions(montreal, 4, floor=0)
    packed = pack(ASYMMETRIC, montreal, regions)
    k = packed.n_regions
    assert packed.wide.num_qubits == montreal.num_qubits
    assert [(c.name, c.size) for c in packed.wide.cregs] == [(f"r{r}", 4) for r in range(k)]
    weights = {p.name for p in packed.wide.parameters if p.name.startswith("w")}
    assert weights == {"w[0]", "w[2]", "w[10]"}  # shared: one copy for all regions
    used = {packed.wide.find_bit(q).index for op in packed.wide.data for q in op.qubits}
    assert used == {q for region in regions for q in region.qubits}  # never outside a region
    for r, qc in enumerate(packed.region_circuits):
        assert [c.name for c in qc.cregs] == [f"r{r}"]
        inputs = {p.name for p in qc.parameters} - weights
        assert inputs == {f"r{r}_x{i}" for i in (0, 2, 3, 10)}
    assert isinstance(packed.depth, int) and packed.depth > 0
    assert isinstance(packed.two_qubit_gates, int) and packed.two_qubit_gates >= 3
    assert packed.duration_seconds > 0
    report = json.loads(json.dumps(packed.to_dict()))
    assert report["device"] == "fake_montreal" and len(report["regions"]) == k


def test_values_and_expectations_round_trip(fez) -> None:
    """With a stand-in sampler that measures bit j = 1 exactly when region input j > 0, the
    expectations are sign(-x) in sample order, for B not a multiple of k."""
    width = 3
    c = circuit(width, [ry(j, input_param(j)) for j in range(width)] + [rx(0, weight_param(0))])
    packed = pack(c, fez, choose_regions(fez, width, floor=0))
    k = packed.n_regions
    assert k > 10
    batch = 3 * k + 4
    inputs = np.random.default_rng(0).uniform(-1, 1, (batch, width))
    values = packed.values(inputs, np.array([0.25]))
    assert values.shape == (packed.rows(batch), packed.wide.num_parameters) == (4, k * width + 1)
    columns = {p.name: i for i, p in enumerate(packed.wide.parameters)}
    assert np.all(values[:, columns["w[0]"]] == 0.25)
    assert np.all(values[-1, columns[f"r{k - 1}_x0"]] == inputs[-1, 0])  # padding: last set

    def measured(r: int) -> BitArray:
        x = np.stack([values[:, columns[f"r{r}_x{j}"]] for j in range(width)], axis=1)
        bits = (x > 0).astype(np.uint8) @ (1 << np.arange(width)).astype(np.uint8)
        return BitArray(np.repeat(bits[:, None, None], 5, axis=1), width)

    result = SimpleNamespace(data=DataBin(**{f"r{r}": measured(r) for r in range(k)}))
    np.testing.assert_array_equal(packed.expectations(result, batch), np.where(inputs > 0, -1, 1))

    groups = packed.local_groups(2 * width)  # two regions a group, the last one alone
    per_group = [
        SimpleNamespace(data=DataBin(**{f"r{r}": measured(r) for r in group.regions}))
        for group in groups
    ]
    np.testing.assert_array_equal(
        packed.local_expectations(per_group, groups, batch), np.where(inputs > 0, -1, 1)
    )
    for r in range(k):
        region_values = packed.values(inputs, np.array([0.25]), region=r)
        names = [p.name for p in packed.region_circuits[r].parameters]
        np.testing.assert_array_equal(region_values, values[:, [columns[n] for n in names]])


def test_a_circuit_without_parameters(montreal) -> None:
    packed = pack(CONSTANT, montreal, choose_regions(montreal, 2, count=3))
    inputs, weights = np.zeros((7, 0)), np.zeros(0)
    assert packed.values(inputs, weights).shape == (3, 0)
    exact = get_backend("reference").run(CONSTANT, inputs, weights)
    assert_shot_close(run_wide(packed, inputs, weights), exact)
    assert_shot_close(run_regions(packed, inputs, weights), exact)
    assert_shot_close(run_regions(packed, inputs, weights, max_qubits=4), exact)


def test_bad_packing_requests_are_refused(montreal) -> None:
    regions = choose_regions(montreal, 3, floor=0)
    with pytest.raises(BackendInputError, match=r"region 0 has 3 qubits .* but the circuit has 4"):
        pack(ASYMMETRIC, montreal, regions)
    with pytest.raises(BackendInputError, match="regions 0 and 1 both use qubit"):
        pack(QRKT, montreal, (regions[0], regions[0]))
    with pytest.raises(BackendInputError, match=r"region qubits \(0, 5, 26\) are not connected"):
        pack(QRKT, montreal, (Region((0, 5, 26)),))
    with pytest.raises(BackendInputError, match="non-empty sequence of Region"):
        pack(QRKT, montreal, ())
    with pytest.raises(BackendInputError, match=r"device 'fake_montreal' has qubits 0\.\.26"):
        pack(QRKT, montreal, (Region((25, 26, 27)),))
    packed = pack(QRKT, montreal, regions[:2])
    with pytest.raises(BackendInputError, match=r"inputs must have shape \(B, 3\)"):
        packed.values(np.zeros((2, 4)), np.zeros(3))
    with pytest.raises(BackendInputError, match=r"weights must have shape \(3,\)"):
        packed.values(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(BackendInputError, match=r"region must be None .* \[0, 2\), got 2"):
        packed.values(np.zeros((2, 3)), np.zeros(3), region=2)
    with pytest.raises(BackendInputError, match=r"one result per group .* regions \[0\]"):
        packed.local_expectations([None], packed.local_groups(3)[:1], 2)
    bits = BitArray(np.zeros((2, 5, 1), dtype=np.uint8), 3)
    with pytest.raises(BackendInputError, match="has no register 'r1' \\(it has r0\\)"):
        packed.expectations(SimpleNamespace(data=DataBin(r0=bits)), 3)
    result = SimpleNamespace(data=DataBin(r0=bits, r1=bits))
    assert packed.expectations(result, 3).shape == (3, 3)
    with pytest.raises(BackendInputError, match=r"holds 2 parameter set\(s\), but batch=7"):
        packed.expectations(result, 7)
    with pytest.raises(BackendInputError, match="batch must be an integer >= 1, got 0"):
        packed.expectations(result, 0)


def test_a_region_device_holds_the_region_s_qubits_and_their_noise(fez) -> None:
    (region,) = choose_regions(fez, 3, count=1)
    device = region_device(fez, [region])
    assert device.num_qubits == 3
    for i, qubit in enumerate(region.qubits):
        assert device.target["measure"][(i,)].error == fez.target["measure"][(qubit,)].error
        assert device.target.qubit_properties[i].t1 == fez.target.qubit_properties[qubit].t1
    a, b = region.qubits[:2]
    edge = (a, b) if (a, b) in fez.target["cz"] else (b, a)
    local = tuple(region.qubits.index(q) for q in edge)
    assert device.target["cz"][local].error == fez.target["cz"][edge].error
    assert device.coupling_map.get_edges()  # connected as on the device
