"""Presets: every MNIST row of the thesis's tables (REFERENCE §3) is counted exactly."""

from __future__ import annotations

import dataclasses

import pytest

from qrkt.errors import UnknownNameError
from qrkt.presets import PRESETS, describe_preset, get_preset, parameter_count

# REFERENCE §3: preset -> (# parameters, # qubits), None for classical rows.
THESIS_MNIST_ROWS = {
    "mnist-rk1": (3733, None),
    "mnist-rk2": (3946, None),
    "mnist-rk3": (4159, None),
    "mnist-rk4": (4372, None),
    "mnist-rk4-enh": (4372, None),
    "mnist-rk1-x3": (3472, None),
    "mnist-rk2-x3": (4693, None),
    "mnist-rk3-x3": (5332, None),
    "mnist-rk4-x3": (5971, None),
    "mnist-rk4-enh-x3": (5971, None),
    "mnist-qrk1": (2872, 114),
    "mnist-qrk2": (3088, 195),
    "mnist-qrk3": (3304, 276),
    "mnist-qrk4": (3520, 357),
    "mnist-qrk4-enh": (3520, 357),
    # Comajoan Cara et al.'s QViT (REFERENCE §4): 1,672 parameters.
    "mnist-qvit-cara": (1672, 108),
}


@pytest.mark.parametrize("name", list(THESIS_MNIST_ROWS))
def test_mnist_presets_count_as_the_thesis(name: str) -> None:
    parameters, qubits = THESIS_MNIST_ROWS[name]
    config = get_preset(name).model
    assert parameter_count(config) == parameters
    assert config.quantum == (qubits is not None)
    assert config.qubits == (qubits or 0)


def test_quantum_and_classical_presets_differ_only_by_the_circuit() -> None:
    quantum, classical = get_preset("digits-qrk4-enh").model, get_preset("digits-rk4-enh").model
    assert quantum.circuit is not None
    assert dataclasses.replace(quantum, circuit=None) == classical


def test_every_preset_builds_on_its_dataset_shape() -> None:
    for preset in PRESETS.values():
        assert preset.dataset in {"mnist", "digits", "cifar10", "imdb"}
        assert preset.model.num_classes == (2 if preset.dataset == "imdb" else 10)


def test_describe_names_parameters_qubits_and_circuits_by_width() -> None:
    text = describe_preset("mnist-qrk4-enh")
    assert "parameters  3,520" in text
    assert "qubits      357" in text
    assert "13 x 3 qubits, 53 x 6 qubits" in text
    assert "qubits      - (classical)" in describe_preset("mnist-rk4-enh-x3")


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown preset 'mnist-qrk5'; known presets: .*"):
        get_preset("mnist-qrk5")
