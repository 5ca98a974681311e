from pathlib import Path

import numpy as np
import pytest

from qrkt.backends.reference import ReferenceBackend
from qrkt.circuits import build_ansatz
from qrkt.errors import BackendInputError
from qrkt.training.layer_calls import LayerCallRecorder

CIRCUIT = build_ansatz("qrkt", 3)
RNG = np.random.default_rng(0)
INPUTS = RNG.uniform(-1, 1, (5, CIRCUIT.n_inputs))
WEIGHTS = RNG.uniform(0, 6, CIRCUIT.n_weights)


class Failing(ReferenceBackend):
    def _run(self, circuit, inputs, weights):
        raise BackendInputError("the device is down")


def test_calls_are_numbered_per_layer_and_compared_with_the_exact_backend() -> None:
    inner = ReferenceBackend()
    recorder = LayerCallRecorder(inner, exact=ReferenceBackend())
    recorder.begin_batch(0)
    for layer in ("a/query", "a/key", "a/query"):
        values = recorder.run_layer(layer, CIRCUIT, INPUTS, WEIGHTS)
    np.testing.assert_array_equal(values, ReferenceBackend().run(CIRCUIT, INPUTS, WEIGHTS))
    assert [(c.layer, c.index, c.rows) for c in recorder.calls] == [
        ("a/query", 0, 5),
        ("a/key", 0, 5),
        ("a/query", 1, 5),
    ]
    assert all(np.array_equal(c.outputs, c.exact) for c in recorder.calls)
    for call in recorder.calls:  # what each call ran, kept for replay and comparison
        np.testing.assert_array_equal(call.inputs, INPUTS)
        np.testing.assert_array_equal(call.weights, WEIGHTS)
    assert inner.counts.calls == 3
    recorder.begin_batch(1)
    assert recorder.calls == []
    recorder.run_layer("a/query", CIRCUIT, INPUTS, WEIGHTS)
    assert recorder.calls[0].index == 0


def test_a_journaled_call_is_replayed_without_running_the_backend(tmp_path: Path) -> None:
    first = LayerCallRecorder(ReferenceBackend(), journal=tmp_path)
    first.begin_batch(3)
    expected = first.run_layer("q", CIRCUIT, INPUTS, WEIGHTS)
    assert (tmp_path / "00003" / "q.000.npz").exists()

    inner = Failing()  # would fail if it were run
    again = LayerCallRecorder(inner, journal=tmp_path)
    again.begin_batch(3)
    np.testing.assert_array_equal(again.run_layer("q", CIRCUIT, INPUTS, WEIGHTS), expected)
    assert again.calls[0].replayed
    assert inner.counts.calls == 0


def test_a_journaled_call_with_other_inputs_runs_again(tmp_path: Path) -> None:
    first = LayerCallRecorder(ReferenceBackend(), journal=tmp_path)
    first.begin_batch(0)
    first.run_layer("q", CIRCUIT, INPUTS, WEIGHTS)
    inner = ReferenceBackend()
    again = LayerCallRecorder(inner, journal=tmp_path)
    again.begin_batch(0)
    values = again.run_layer("q", CIRCUIT, INPUTS + 0.1, WEIGHTS)
    np.testing.assert_array_equal(values, ReferenceBackend().run(CIRCUIT, INPUTS + 0.1, WEIGHTS))
    assert not again.calls[0].replayed
    assert inner.counts.calls == 1


def test_the_backends_own_error_is_kept_for_the_caller() -> None:
    recorder = LayerCallRecorder(Failing())
    recorder.begin_batch(0)
    with pytest.raises(BackendInputError, match="the device is down"):
        recorder.run_layer("q", CIRCUIT, INPUTS, WEIGHTS)
    assert isinstance(recorder.failure, BackendInputError)
    assert recorder.calls == []
