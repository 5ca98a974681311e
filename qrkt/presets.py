"""Named model configurations: every MNIST row of the thesis, its CIFAR-10 and IMDb models,
Comajoan Cara's QViT, and small models for the embedded 8x8 digits.

Models take a ``QuantumLayerFactory``; :func:`build_model` is where a backend is chosen.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp

from qrkt.errors import UnknownNameError, known_names
from qrkt.layers.circuit import CircuitLayerFactory
from qrkt.models import CircuitConfig, ModelConfig, Transformer, count_parameters

if TYPE_CHECKING:
    from qrkt.backends.base import Backend


@dataclasses.dataclass(frozen=True)
class Preset:
    """A named model configuration and the dataset it was made for."""

    name: str
    model: ModelConfig
    dataset: str
    description: str


_MNIST = {"kind": "vision", "num_classes": 10, "image_shape": (28, 28, 1), "patch": 14}
_DIGITS = {"kind": "vision", "num_classes": 10, "image_shape": (8, 8, 1), "patch": 4}
_CIFAR10 = {"kind": "vision", "num_classes": 10, "image_shape": (32, 32, 3), "patch": 16}
_IMDB = {"kind": "text", "num_classes": 2, "vocabulary_size": 20_000, "max_length": 512}
_SMALL = {"hidden": 6, "heads": 2, "mlp": 3}
_WIDE = {"hidden": 12, "heads": 6, "mlp": 6}
_METHODS = ("rk1", "rk2", "rk3", "rk4", "rk4_enh")


def _label(method: str) -> str:
    return method.replace("_", "-")


def _presets() -> dict[str, Preset]:
    presets: list[Preset] = []

    def add(name: str, dataset: str, description: str, **fields: object) -> None:
        presets.append(Preset(name, ModelConfig(**fields), dataset, description))

    for method in _METHODS:
        label = _label(method)
        add(
            f"mnist-{label}",
            "mnist",
            f"thesis MNIST, classical {method.upper()}, one ODE block: 3 encoders + 1 "
            f"{method.upper()} + 1 decoder",
            **_MNIST,
            **_SMALL,
            encoders=3,
            ode_blocks=(method,),
            decoders=1,
        )
        # The thesis's three-block RK1 row has one decoder; the others have three.
        decoders = 1 if method == "rk1" else 3
        add(
            f"mnist-{label}-x3",
            "mnist",
            f"thesis MNIST, classical {method.upper()}, three ODE blocks: 3 {method.upper()} + "
            f"{decoders} decoder(s)",
            **_MNIST,
            **_SMALL,
            ode_blocks=(method,) * 3,
            decoders=decoders,
        )
        add(
            f"mnist-q{label}",
            "mnist",
            f"thesis MNIST, quantum Q{method.upper()}: 3 Q{method.upper()} + 1 decoder, "
            "'qrkt' circuits",
            **_MNIST,
            **_SMALL,
            ode_blocks=(method,) * 3,
            decoders=1,
            circuit=CircuitConfig(),
        )
    for name, dataset, shape in (
        ("mnist-qvit-cara", "mnist", _MNIST),
        ("digits-qvit-cara", "digits", _DIGITS),
    ):
        add(
            name,
            dataset,
            "Comajoan Cara et al.'s QViT: 4 quantum encoder blocks, no decoder, 'cara' circuits",
            **shape,
            **_SMALL,
            encoders=4,
            circuit=CircuitConfig(ansatz="cara"),
        )
    for method in ("rk1", "rk4_enh"):
        label = _label(method)
        add(
            f"digits-{label}",
            "digits",
            f"8x8 digits, classical {method.upper()}: 3 {method.upper()} + 1 decoder, patch 4",
            **_DIGITS,
            **_SMALL,
            ode_blocks=(method,) * 3,
            decoders=1,
        )
        add(
            f"digits-q{label}",
            "digits",
            f"8x8 digits, quantum Q{method.upper()}: 3 Q{method.upper()} + 1 decoder, patch 4",
            **_DIGITS,
            **_SMALL,
            ode_blocks=(method,) * 3,
            decoders=1,
            circuit=CircuitConfig(),
        )
    add(
        "digits-qrk1-4q",
        "digits",
        "8x8 digits, quantum QRK1 for 5-qubit devices (fake_manila): 1 QRK1 + 1 decoder, patch "
        "4, d 4, h 2, m 4: every circuit 4 qubits",
        **_DIGITS,
        hidden=4,
        heads=2,
        mlp=4,
        ode_blocks=("rk1",),
        decoders=1,
        circuit=CircuitConfig(),
    )
    for method in ("rk4", "rk4_enh"):
        add(
            f"cifar10-{_label(method)}-x3",
            "cifar10",
            f"thesis CIFAR-10, classical {method.upper()}: 3 {method.upper()} + 3 decoders, "
            "patch 16, d 12, h 6, m 6",
            **_CIFAR10,
            **_WIDE,
            ode_blocks=(method,) * 3,
            decoders=3,
        )
    for method in ("rk1", "rk4_enh"):
        add(
            f"cifar10-q{_label(method)}",
            "cifar10",
            f"thesis CIFAR-10, quantum Q{method.upper()}: 3 Q{method.upper()} + 1 decoder, "
            "patch 16, d 12, h 6, m 6",
            **_CIFAR10,
            **_WIDE,
            ode_blocks=(method,) * 3,
            decoders=1,
            circuit=CircuitConfig(),
        )
    add(
        "imdb-rk4-enh-x3",
        "imdb",
        "thesis IMDb, classical RK4_ENH: 3 RK4_ENH + 3 decoders, d 12, h 6, m 6, length 512",
        **_IMDB,
        **_WIDE,
        ode_blocks=("rk4_enh",) * 3,
        decoders=3,
    )
    add(
        "imdb-qrk4-enh",
        "imdb",
        "thesis IMDb, quantum QRK4_ENH: 3 QRK4_ENH + 1 decoder, d 6, h 2, m 3, length 512",
        **_IMDB,
        **_SMALL,
        ode_blocks=("rk4_enh",) * 3,
        decoders=1,
        circuit=CircuitConfig(),
    )
    return {preset.name: preset for preset in presets}


PRESETS: dict[str, Preset] = _presets()


def get_preset(name: str) -> Preset:
    """The preset called ``name``; an unknown name lists the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown preset {name!r}; known presets: {known_names(PRESETS)}"
        ) from None


def build_model(
    config: ModelConfig,
    *,
    backend: str | Backend = "jax",
    backend_options: tuple[tuple[str, object], ...] = (),
) -> Transformer:
    """The model of ``config``, its circuits (if any) on ``backend`` (a name or an instance).

    Models built from one config with different backends share their parameters.
    """
    return Transformer(config, circuit_factory(config.circuit, backend, backend_options))


def circuit_factory(
    circuit: CircuitConfig | None,
    backend: str | Backend = "jax",
    backend_options: tuple[tuple[str, object], ...] = (),
) -> CircuitLayerFactory | None:
    """The factory of ``circuit``'s layers on ``backend``; ``None`` for a classical model."""
    if circuit is None:
        return None
    return CircuitLayerFactory(
        ansatz=circuit.ansatz,
        layers=circuit.layers,
        tied=circuit.tied,
        backend=backend,
        backend_options=backend_options,
    )


def example_inputs(config: ModelConfig, batch: int = 1) -> jax.Array:
    """A zero batch of the inputs ``config`` takes (images, or 16 token ids for text)."""
    if config.kind == "vision":
        return jnp.zeros((batch, *config.image_shape), jnp.float32)
    return jnp.zeros((batch, min(16, config.max_length)), jnp.int32)


def parameter_shapes(config: ModelConfig) -> Any:
    """The shapes and dtypes of the model's parameters (nothing is computed or compiled)."""
    model = build_model(config)
    shapes = jax.eval_shape(
        lambda key: model.init(key, example_inputs(config)), jax.random.PRNGKey(0)
    )
    return shapes["params"]


def parameter_count(config: ModelConfig) -> int:
    """The thesis's "# Parameters", from the parameter shapes alone (nothing is computed)."""
    return count_parameters(parameter_shapes(config))


def describe_preset(name: str) -> str:
    """A few lines about a preset: its blocks, parameters, qubits and circuits by width."""
    preset = get_preset(name)
    config = preset.model
    blocks = [f"{config.encoders} encoder(s)"] if config.encoders else []
    blocks += [f"{len(config.ode_blocks)} x {m.upper()}" for m in sorted(set(config.ode_blocks))]
    blocks += [f"{config.decoders} decoder(s)"] if config.decoders else []
    if config.kind == "vision":
        inputs = f"images {'x'.join(map(str, config.image_shape))}, patch {config.patch}"
    else:
        inputs = f"tokens (vocabulary {config.vocabulary_size}, length <= {config.max_length})"
    lines = [
        f"{preset.name}: {preset.description}",
        f"  dataset     {preset.dataset} ({inputs}, {config.num_classes} classes)",
        f"  blocks      {' + '.join(blocks)}; d {config.hidden}, h {config.heads}, m {config.mlp}",
        f"  parameters  {parameter_count(config):,}",
    ]
    if config.circuit is None:
        lines.append("  qubits      - (classical)")
    else:
        circuit = config.circuit
        widths = ", ".join(
            f"{count} x {width} qubits" for width, count in sorted(config.circuit_widths.items())
        )
        lines += [
            f"  qubits      {config.qubits} (the sum of all circuit widths)",
            f"  circuits    {widths}; ansatz {circuit.ansatz!r}, {circuit.layers} layer(s), "
            f"{'tied' if circuit.tied else 'untied'} weights",
        ]
    return "\n".join(lines)
