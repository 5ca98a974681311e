"""Named GAN configurations: the quantum QRKT-GAN and its classical TransGAN baseline for the
8x8 digits, MNIST and CIFAR-10, and where their networks are built on a backend."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp

from qrkt.errors import UnknownNameError, known_names
from qrkt.gan.config import GanConfig, qubits
from qrkt.gan.models import Discriminator, Generator
from qrkt.models import CircuitConfig, count_parameters
from qrkt.presets import circuit_factory

if TYPE_CHECKING:
    from qrkt.backends.base import Backend


@dataclasses.dataclass(frozen=True)
class GanPreset:
    """A named GAN configuration and the dataset it was made for."""

    name: str
    model: GanConfig
    dataset: str
    description: str


# Every circuit has 8 qubits at most: a 256-amplitude statevector simulates fast. Against
# REFERENCE §5 (issue 19, benchmarks/results/gan/README.md): the 3x3 output convolution measured
# clearly better than 1x1; the critic reading every token and digits' two encoders did better
# in exploratory runs only, within one seed's noise of the class token and one encoder. The
# digits' critic stem gave lower FIDs in 150-second runs of every recipe tried.
_NETWORKS = {
    "latent": 16,
    "heads": 2,
    "mlp": 8,
    "critic_hidden": 8,
    "critic_heads": 2,
    "critic_mlp": 8,
    "critic_depth": 2,
    "output_kernel": 3,
    "critic_readout": "all_tokens",
}
_THREE_STAGES = {"widths": (8, 8, 8), "depths": (1, 1)}
_DATASETS = {
    "digits": (
        "8x8 digits",
        {
            "image_shape": (8, 8, 1),
            "grid": 4,
            "patch": 2,
            "widths": (8, 8),
            "depths": (2,),
            "critic_stem": 16,
        },
    ),
    "mnist": ("MNIST", {"image_shape": (28, 28, 1), "grid": 7, "patch": 4, **_THREE_STAGES}),
    "cifar10": (
        "CIFAR-10",
        {"image_shape": (32, 32, 3), "grid": 8, "patch": 4, **_THREE_STAGES},
    ),
}


def _presets() -> dict[str, GanPreset]:
    presets = {}
    for dataset, (label, shape) in _DATASETS.items():
        for name, kind, circuit in (
            (f"{dataset}-qgan", "quantum QRKT-GAN", CircuitConfig()),
            (f"{dataset}-transgan", "classical TransGAN baseline", None),
        ):
            model = GanConfig(**shape, **_NETWORKS, circuit=circuit)
            stages = [f"{depth} encoder(s)" for depth in model.depths] + ["1 RK4_ENH"]
            description = (
                f"{label}, {kind}: generator stages {' -> '.join(_sides(model))} "
                f"({', '.join(stages)}), discriminator patch {model.patch} + "
                f"{model.critic_depth} encoders"
                + (
                    f", a {model.critic_stem}-channel convolutional stem"
                    if model.critic_stem
                    else ""
                )
            )
            presets[name] = GanPreset(name, model, dataset, description)
    return presets


def _sides(config: GanConfig) -> list[str]:
    return [f"{config.grid * 2**i}x{config.grid * 2**i}" for i in range(len(config.widths))]


GAN_PRESETS: dict[str, GanPreset] = _presets()


def get_gan_preset(name: str) -> GanPreset:
    """The GAN preset called ``name``; an unknown name lists the known ones."""
    try:
        return GAN_PRESETS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown GAN preset {name!r}; known GAN presets: {known_names(GAN_PRESETS)}"
        ) from None


def build_gan(
    config: GanConfig,
    *,
    backend: str | Backend = "jax",
    backend_options: tuple[tuple[str, object], ...] = (),
) -> tuple[Generator, Discriminator]:
    """The generator and discriminator of ``config``, their circuits (if any) on ``backend``.

    Networks built from one config with different backends share their parameters.
    """
    factory = circuit_factory(config.circuit, backend, backend_options)
    return Generator(config, factory), Discriminator(config, factory)


def gan_parameter_counts(config: GanConfig) -> dict[str, int]:
    """Parameters of the generator and the discriminator, from their shapes alone."""
    generator, discriminator = build_gan(config)
    inputs = {
        "generator": (generator, jnp.zeros((1, config.latent), jnp.float32)),
        "discriminator": (discriminator, jnp.zeros((1, *config.image_shape), jnp.float32)),
    }
    counts = {}
    for name, (network, example) in inputs.items():
        shapes = jax.eval_shape(network.init, jax.random.PRNGKey(0), example)
        counts[name] = count_parameters(shapes["params"])
    return counts


def describe_gan_preset(name: str) -> str:
    """A few lines about a GAN preset: its stages, parameters, and circuits by width."""
    preset = get_gan_preset(name)
    config = preset.model
    counts = gan_parameter_counts(config)
    shape = "x".join(map(str, config.image_shape))
    rows = [
        ("dataset", f"{preset.dataset} (images {shape})"),
        (
            "generator",
            f"latent {config.latent} -> {' -> '.join(_sides(config))} tokens, d "
            f"{'/'.join(map(str, config.widths))}, h {config.heads}, m {config.mlp}, "
            f"{config.output_kernel}x{config.output_kernel} output convolution; "
            f"{counts['generator']:,} parameters",
        ),
        (
            "discriminator",
            f"patch {config.patch}, {config.critic_depth} encoder(s), d {config.critic_hidden}, "
            f"h {config.critic_heads}, m {config.critic_mlp}, reads "
            f"{config.critic_readout.replace('_', ' ')}; {counts['discriminator']:,} parameters",
        ),
    ]
    if config.circuit is None:
        rows.append(("qubits", "- (classical)"))
    else:
        for network, circuits in (
            ("generator", config.generator_circuits),
            ("discriminator", config.discriminator_circuits),
        ):
            widths = ", ".join(f"{n} x {w} qubits" for w, n in sorted(circuits.items()))
            rows.append((f"{network} circuits", f"{widths} ({qubits(circuits)} qubits in all)"))
        circuit = config.circuit
        rows.append(
            (
                "circuits",
                f"at most {config.max_qubits} qubits each; ansatz {circuit.ansatz!r}, "
                f"{circuit.layers} layer(s), {'tied' if circuit.tied else 'untied'} weights",
            )
        )
    lines = [f"{preset.name}: {preset.description}"]
    lines += [f"  {label:<22} {text}" for label, text in rows]
    return "\n".join(lines)
