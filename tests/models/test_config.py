"""Model configurations: validated at construction, with messages that say how to fix them."""

from __future__ import annotations

import json

import pytest

from qrkt.errors import UnknownNameError
from qrkt.models import CircuitConfig, ModelConfig, ModelConfigError

VISION = {"kind": "vision", "num_classes": 10, "image_shape": (8, 8, 1), "patch": 4}


def config(**fields) -> ModelConfig:
    return ModelConfig(**{**VISION, "hidden": 6, "heads": 2, "mlp": 3, "encoders": 1, **fields})


def test_round_trips_through_json() -> None:
    original = config(ode_blocks=("rk4", "rk2"), decoders=2, circuit=CircuitConfig("cara", 2))
    assert ModelConfig.from_dict(json.loads(json.dumps(original.to_dict()))) == original


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"heads": 4}, "hidden size 6 does not divide into 4 heads"),
        ({"patch": 3}, "image of 8x8 does not split into 3x3 patches"),
        ({"encoders": 0}, "the model has no encoder path"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\), got 1.0"),
        ({"mlp": 0}, "mlp must be an integer >= 1, got 0"),
        ({"patch": None}, "a vision model needs image_shape"),
        ({"kind": "text"}, "a text model needs vocabulary_size"),
    ],
)
def test_rejects_inconsistent_fields(fields: dict, message: str) -> None:
    with pytest.raises(ModelConfigError, match=message):
        config(**fields)


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="unknown Runge-Kutta method 'rk5'; known: rk1, "):
        config(ode_blocks=("rk5",))
    with pytest.raises(ModelConfigError, match="unknown model configuration fields depth"):
        ModelConfig.from_dict({**config().to_dict(), "depth": 3})


def test_counts_circuits_by_width() -> None:
    quantum = config(ode_blocks=("rk4_enh",), decoders=1, circuit=CircuitConfig())
    # 1 encoder + 4 stages + 1 decoder = 6 functions: 4 x 6 + 1 d-wide circuits, 6 m-wide.
    assert quantum.circuit_widths == {6: 25, 3: 6}
    assert quantum.qubits == 25 * 6 + 6 * 3
    shared = config(ode_blocks=("rk4_enh",), shared_stages=True, circuit=CircuitConfig())
    assert shared.circuit_widths == {6: 8, 3: 2}
    assert config().qubits == 0
