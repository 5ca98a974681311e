"""Backends by name: unknown names, shared instances, missing dependencies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qrkt.backends.jax_statevector import JaxStatevectorBackend
from qrkt.backends.reference import ReferenceBackend
from qrkt.backends.registry import (
    backend_entries,
    backend_entry,
    get_backend,
    installed_backends,
    register_backend,
    unregister_backend,
)
from qrkt.errors import BackendInputError, MissingDependencyError, UnknownNameError


@pytest.mark.parametrize("lookup", [get_backend, backend_entry])
def test_unknown_name_lists_known_backends(lookup: object) -> None:
    with pytest.raises(
        UnknownNameError, match=r"unknown backend 'qiskit-typo'; known backends: .*jax"
    ) as raised:
        lookup("qiskit-typo")  # type: ignore[operator]
    message = str(raised.value)
    for name in ("jax", "reference", "tensorcircuit"):
        assert name in message


def test_same_name_and_options_give_the_same_instance() -> None:
    assert get_backend("reference") is get_backend("reference")
    assert get_backend("jax", dtype="complex128") is get_backend("jax", dtype="complex128")
    assert isinstance(get_backend("reference"), ReferenceBackend)
    assert isinstance(get_backend("jax"), JaxStatevectorBackend)


def test_option_order_does_not_matter() -> None:
    """Options are a mapping: CircuitLayer passes them in whatever order its tuple has."""
    first = get_backend("jax", dtype="complex64", block_size=16)
    assert get_backend("jax", block_size=16, dtype="complex64") is first


def test_different_options_give_different_instances() -> None:
    single = get_backend("jax", dtype="complex64")
    double = get_backend("jax", dtype="complex128")
    assert single is not double
    assert (single.dtype, double.dtype) == ("complex64", "complex128")
    blocked = get_backend("jax", block_size=4)
    assert blocked is not get_backend("jax", block_size=8)
    assert blocked.block_size == 4


@pytest.fixture
def demo_backend() -> Iterator[str]:
    """A registered backend whose requirement is not installed, removed afterwards."""
    name = "demo-not-installed"
    assert name not in {entry.name for entry in backend_entries()}
    register_backend(
        name,
        "qrkt.backends.reference:ReferenceBackend",
        requires=("definitely_not_installed_pkg",),
        extra="demo",
    )
    try:
        yield name
    finally:
        unregister_backend(name)


def test_missing_dependency_names_the_pip_command(demo_backend: str) -> None:
    with pytest.raises(
        MissingDependencyError, match=r"definitely_not_installed_pkg.*pip install 'qrkt\[demo\]'"
    ):
        get_backend(demo_backend)
    assert issubclass(MissingDependencyError, ImportError)


def test_uninstalled_backend_is_listed_but_not_installed(demo_backend: str) -> None:
    entry = backend_entry(demo_backend)
    assert entry in backend_entries()
    assert not entry.installed
    assert entry.missing() == ["definitely_not_installed_pkg"]
    assert entry.install_command == "pip install 'qrkt[demo]'"
    assert demo_backend not in installed_backends()


def test_installed_backends_include_the_core_ones() -> None:
    installed = installed_backends()
    assert "reference" in installed
    assert "jax" in installed


def test_entries_declare_their_extra() -> None:
    assert backend_entry("tensorcircuit").install_command == "pip install 'qrkt[tensorcircuit]'"
    assert backend_entry("reference").install_command == "pip install qrkt"


def test_an_unknown_option_names_the_options_the_backend_takes() -> None:
    with pytest.raises(
        BackendInputError, match="backend 'jax' has no option\\(s\\) 'shots'; it takes: dtype"
    ):
        get_backend("jax", shots=100)


@pytest.mark.parametrize(("value", "kind"), [([1, 2], "list"), ({"a": 1}, "dict")])
def test_an_option_holding_several_values_is_a_clear_error(value: object, kind: str) -> None:
    with pytest.raises(BackendInputError) as error:
        get_backend("reference", shots=value)
    assert str(error.value) == (
        f"backend 'reference' got shots={value!r}, a {kind}; an option takes one value (a "
        "number, a string, None or an object such as a noise model): give shots a single value"
    )
