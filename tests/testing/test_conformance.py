"""The conformance suite, one test per (backend configuration, case)."""

from __future__ import annotations

import importlib.util

import pytest

from qrkt.backends.registry import backend_entries, get_backend
from qrkt.testing import assert_backend_conforms, conformance_cases

# Each backend runs the suite with its default options and with these variants: both
# precisions, and shot-based sampling (held to a tolerance derived from the shot count).
# Noisy variants are not here: noise moves values away from reference by design, so each
# backend's own tests check noise.
_VARIANTS: dict[str, dict[str, dict[str, object]]] = {
    "jax": {"complex64": {"dtype": "complex64"}, "complex128": {"dtype": "complex128"}},
    "tensorcircuit": {"complex64": {"dtype": "complex64"}, "complex128": {"dtype": "complex128"}},
    "qiskit_aer": {"exact": {}, "shots": {"shots": 4096, "seed": 7}},
    "qiskit": {"aer": {"seed": 7}, "braket_local": {"device": "braket_local"}},
    "braket": {"exact": {"shots": 0}, "shots": {"shots": 4096}},  # Braket's sampling has no seed
    "cirq": {
        "exact": {},
        "shots": {"shots": 4096, "seed": 7},
        "google": {"device": "rainbow-noiseless", "shots": 1024, "seed": 7},  # compiled for it
    },
    "tfq": {"exact": {}, "shots": {"shots": 4096}},  # TFQ's sampling takes no seed
}
# Variants that need more than their backend: a device's provider.
_VARIANT_REQUIRES = {"qiskit-braket_local": "qiskit_braket_provider", "cirq-google": "cirq_google"}
CASES = {case.name: case for case in conformance_cases()}


def _configurations(selected: list[str]) -> list:
    params = []
    for entry in backend_entries():
        if selected and entry.name not in selected:
            continue
        skip = pytest.mark.skip(reason=entry.install_command)
        marks = [] if entry.installed or selected else [skip]
        for variant, options in _VARIANTS.get(entry.name, {"": {}}).items():
            label = f"{entry.name}-{variant}" if variant else entry.name
            module = _VARIANT_REQUIRES.get(label)
            missing = module is not None and importlib.util.find_spec(module) is None
            reason = f"{label} needs {module}"
            extra = [pytest.mark.skip(reason=reason)] if missing else []
            params.append(pytest.param((entry.name, options), id=label, marks=marks + extra))
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "configuration" in metafunc.fixturenames:
        metafunc.parametrize("configuration", _configurations(metafunc.config.getoption("backend")))


@pytest.mark.parametrize("case_name", list(CASES))
def test_case(configuration: tuple[str, dict], case_name: str) -> None:
    name, options = configuration
    CASES[case_name].run(get_backend(name, **options))


def test_assert_backend_conforms_reports_every_failing_case() -> None:
    class Negating(type(get_backend("reference"))):  # a backend that gets every sign wrong
        name = "negating"

        def _run(self, circuit, inputs, weights):
            return -super()._run(circuit, inputs, weights)

    with pytest.raises(AssertionError, match=r"negating fails \d+ case\(s\):\n.*gate-rx-q0-input"):
        assert_backend_conforms(Negating())
