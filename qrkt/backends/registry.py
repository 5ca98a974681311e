"""Backends by short name.

Each entry names the module that defines the backend, the Python packages it needs and the
``pip install 'qrkt[...]'`` extra that provides them. Backend modules import their vendor SDK
lazily, so listing backends never imports an SDK.

Other packages add backends through the ``qrkt.backends`` entry-point group (name =
``"package.module:Class"``, see docs/backends.md); they are registered when this module is
first imported, after qrkt's own, and a name that is taken is refused.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import logging
from dataclasses import dataclass
from functools import cache

from qrkt.backends.base import Backend, Capabilities
from qrkt.dependencies import install_command
from qrkt.errors import BackendInputError, UnknownNameError, known_names


@dataclass(frozen=True)
class BackendEntry:
    """Where a backend lives and what it needs."""

    name: str
    target: str  # "module:Class"
    requires: tuple[str, ...]  # importable top-level modules
    extra: str  # the pip extra that installs them

    @property
    def install_command(self) -> str:
        return install_command(self.extra)

    def missing(self) -> list[str]:
        return [m for m in self.requires if importlib.util.find_spec(m) is None]

    @property
    def installed(self) -> bool:
        return not self.missing()

    def load(self) -> type[Backend]:
        module, cls = self.target.split(":")
        return getattr(importlib.import_module(module), cls)

    @property
    def capabilities(self) -> Capabilities:
        return self.load().capabilities


logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "qrkt.backends"

_REGISTRY: dict[str, BackendEntry] = {}


def register_backend(
    name: str, target: str, *, requires: tuple[str, ...] = (), extra: str = ""
) -> None:
    """Register a backend class (``"package.module:Class"``) under a short name.

    ``extra`` is the pip extra that installs ``requires``; empty for qrkt's core dependencies.

    Raises:
      BackendInputError: ``name`` is registered already (``unregister_backend`` it first), or
        ``target`` is not ``"module:Class"``.
    """
    if name in _REGISTRY:
        raise BackendInputError(
            f"backend {name!r} is registered already ({_REGISTRY[name].target}); choose another "
            f"name for {target}, or unregister_backend({name!r}) first"
        )
    module, colon, cls = target.partition(":")
    if not (module and colon and cls):
        raise BackendInputError(
            f"a backend's target is 'package.module:Class', got {target!r} for {name!r}"
        )
    _REGISTRY[name] = BackendEntry(name, target, requires, extra)
    _shared_backend.cache_clear()


def unregister_backend(name: str) -> None:
    """Remove a registered backend (and its shared instances)."""
    backend_entry(name)  # raises, listing the known names, if there is none
    del _REGISTRY[name]
    _shared_backend.cache_clear()


def backend_entries() -> list[BackendEntry]:
    """Every registered backend, installed or not, in registration order."""
    return list(_REGISTRY.values())


def installed_backends() -> list[str]:
    """Names of the backends whose dependencies are installed."""
    return [e.name for e in _REGISTRY.values() if e.installed]


def backend_entry(name: str) -> BackendEntry:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown backend {name!r}; known backends: {known_names(_REGISTRY)}"
        ) from None


def get_backend(name: str, **options: object) -> Backend:
    """The backend ``name`` with ``options``; one shared instance per name and options.

    Sharing keeps compiled functions and counters across calls; call
    ``get_backend(name).counts.reset()`` to start counting afresh.
    """
    check_option_values(name, options)
    return _shared_backend(name, tuple(sorted(options.items())))


def check_option_values(name: str, options: dict[str, object]) -> None:
    """Raise a :class:`BackendInputError` for an option of backend ``name`` whose value is a
    container (a list, a dict): every option takes one value."""
    for key, value in options.items():
        try:
            hash(value)
        except TypeError:
            raise BackendInputError(
                f"backend {name!r} got {key}={value!r}, a {type(value).__name__}; an option "
                "takes one value (a number, a string, None or an object such as a noise "
                f"model): give {key} a single value"
            ) from None


@cache
def _shared_backend(name: str, options: tuple[tuple[str, object], ...]) -> Backend:
    entry = backend_entry(name)
    backend_class = entry.load()  # backend modules import their SDK lazily: this needs none
    backend_class.import_dependencies(f"backend {name!r}", entry.requires, entry.extra)
    accepted = [p for p in inspect.signature(backend_class).parameters if p != "self"]
    unknown = sorted(key for key, _ in options if key not in accepted)
    if unknown:
        raise BackendInputError(
            f"backend {name!r} has no option(s) {', '.join(map(repr, unknown))}; it takes: "
            f"{', '.join(accepted) or 'no options'}"
        )
    return backend_class(**dict(options))


register_backend("reference", "qrkt.backends.reference:ReferenceBackend", requires=("numpy",))
register_backend("jax", "qrkt.backends.jax_statevector:JaxStatevectorBackend", requires=("jax",))
register_backend(
    "tensorcircuit",
    "qrkt.backends.tensorcircuit:TensorCircuitBackend",
    requires=("jax", "tensorcircuit"),
    extra="tensorcircuit",
)
register_backend(
    "qiskit_aer",
    "qrkt.backends.qiskit_aer:QiskitAerBackend",
    requires=("qiskit", "qiskit_aer"),
    extra="qiskit",
)
register_backend(
    "ibm_runtime",
    "qrkt.backends.ibm_runtime:IBMRuntimeBackend",
    requires=("qiskit", "qiskit_ibm_runtime", "qiskit_aer"),
    extra="ibm",
)
register_backend(
    "qiskit",
    "qrkt.backends.qiskit_sampler:QiskitSamplerBackend",
    requires=("qiskit", "qiskit_aer"),
    extra="qiskit",
)
register_backend(
    "braket",
    "qrkt.backends.braket:BraketBackend",
    requires=("braket",),
    extra="braket",
)
register_backend(
    "cirq",
    "qrkt.backends.cirq_simulator:CirqBackend",
    requires=("cirq", "sympy"),
    extra="cirq",
)
register_backend(
    "tfq",
    "qrkt.backends.tfq:TfqBackend",
    requires=("cirq", "sympy", "tensorflow", "tensorflow_quantum"),
    extra="tfq",
)


def register_entry_points() -> list[str]:
    """Register the backends of installed packages (the ``qrkt.backends`` entry points) not
    registered yet; return their names. A name that is taken is refused and logged, so that
    one package cannot replace another's backend, nor break ``import qrkt``."""
    added = []
    for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if point.name in _REGISTRY and _REGISTRY[point.name].target == point.value:
            continue
        package = point.value.partition(":")[0].split(".")[0]
        try:
            register_backend(point.name, point.value, requires=(package,))
        except BackendInputError as error:
            source = point.dist.name if point.dist is not None else "an installed package"
            logger.warning("%s: the backend of %s is not registered", error, source)
            continue
        added.append(point.name)
    return added


register_entry_points()
