"""A QRKT-GAN's architecture: a small frozen value that presets name and checkpoints store."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from qrkt.errors import check_fields, check_int
from qrkt.models import TABLEAUS, CircuitConfig, ModelConfigError

#: The method of the generator's last stage (REFERENCE §5).
LAST_STAGE = "rk4_enh"
#: What the discriminator's score can read (:attr:`GanConfig.critic_readout`).
CRITIC_READOUTS = ("class_token", "all_tokens")


@dataclasses.dataclass(frozen=True)
class GanConfig:
    """A TransGAN-style generator and discriminator of QRKT blocks (REFERENCE §5).

    Attributes:
      image_shape: (H, W, C) of the images, square: H = W = ``grid * 2 ** (len(widths) - 1)``.
      latent: the latent vector's size.
      grid: side of the first stage's token grid; each later stage doubles it.
      widths: the token width d of each generator stage; also its attention circuits' width.
      depths: encoder blocks of each stage but the last (``len(widths) - 1`` of them); the
        last stage is one RK4_ENH block.
      heads: attention heads of the generator; every width must divide by it.
      mlp: m of the generator's feed-forward layers; also their circuits' width.
      patch: the discriminator's patch size; H must divide by it.
      critic_hidden, critic_heads, critic_mlp, critic_depth: the discriminator's d, h, m and
        number of encoder blocks.
      circuit: the circuit of every quantum layer of both networks; ``None`` is the classical
        TransGAN baseline of the same structure.
      output_kernel: the side of the generator's last convolution, tokens to image channels
        (1: REFERENCE §5's 1x1 convolution; 3 smooths neighbouring pixels together).
      critic_readout: what the discriminator's ``Dense(1)`` reads: ``class_token`` (REFERENCE
        §5) or ``all_tokens``, the class token and every patch token, flattened.
      critic_stem: channels of two 3x3 convolutions (leaky ReLU) that the discriminator runs
        over the image before its patch embedding, a convolutional stem (Xiao et al. 2021,
        "Early convolutions help transformers see better"); 0: none, REFERENCE §5's linear
        patch embedding of the pixels.
    """

    image_shape: tuple[int, int, int]
    latent: int
    grid: int
    widths: tuple[int, ...]
    depths: tuple[int, ...]
    heads: int
    mlp: int
    patch: int
    critic_hidden: int
    critic_heads: int
    critic_mlp: int
    critic_depth: int
    circuit: CircuitConfig | None = None
    output_kernel: int = 1
    critic_readout: str = "class_token"
    critic_stem: int = 0

    def __post_init__(self) -> None:
        for label in (
            "latent",
            "grid",
            "heads",
            "mlp",
            "patch",
            "critic_hidden",
            "critic_heads",
            "critic_mlp",
            "critic_depth",
            "output_kernel",
        ):
            check_int(label, getattr(self, label), minimum=1, error=ModelConfigError)
        if not self.widths:
            raise ModelConfigError("widths must name at least one generator stage, got ()")
        for width in self.widths:
            check_int("every width", width, minimum=1, error=ModelConfigError)
            if width % self.heads:
                raise ModelConfigError(
                    f"generator width {width} does not divide into {self.heads} heads; choose "
                    "heads that divide every width"
                )
        for depth in self.depths:
            check_int("every depth", depth, minimum=0, error=ModelConfigError)
        check_int("critic_stem", self.critic_stem, minimum=0, error=ModelConfigError)
        if self.critic_readout not in CRITIC_READOUTS:
            raise ModelConfigError(
                f"critic_readout must be one of {', '.join(CRITIC_READOUTS)}, got "
                f"{self.critic_readout!r}; class_token is REFERENCE §5's"
            )
        if len(self.depths) != len(self.widths) - 1:
            raise ModelConfigError(
                f"depths gives the encoder blocks of every stage but the last (an RK4_ENH "
                f"block): {len(self.widths) - 1} value(s) for {len(self.widths)} widths, got "
                f"{len(self.depths)}"
            )
        if self.critic_hidden % self.critic_heads:
            raise ModelConfigError(
                f"critic_hidden {self.critic_hidden} does not divide into {self.critic_heads} "
                "heads; choose critic_heads that divide it"
            )
        height, width, _ = self.image_shape
        if height != width or height != self.side:
            raise ModelConfigError(
                f"the generator makes {self.side}x{self.side} images (grid {self.grid} doubled "
                f"{len(self.widths) - 1} times), but image_shape is {self.image_shape}; change "
                "grid or the number of stages"
            )
        if height % self.patch:
            raise ModelConfigError(
                f"image of {height}x{width} does not split into {self.patch}x{self.patch} "
                "patches; choose a patch size that divides the side"
            )

    @property
    def side(self) -> int:
        """The side of the generated images."""
        return self.grid * 2 ** (len(self.widths) - 1)

    @property
    def quantum(self) -> bool:
        return self.circuit is not None

    @property
    def generator_circuits(self) -> Counter[int]:
        """How many circuits of each width the generator has (empty if classical).

        An encoder block, and each of the RK4_ENH block's four stages, has four d-qubit
        attention circuits and one m-qubit feed-forward circuit.
        """
        functions = [(w, depth) for w, depth in zip(self.widths, self.depths, strict=False)]
        functions.append((self.widths[-1], len(TABLEAUS[LAST_STAGE].weights)))
        return _circuits(self.quantum, functions, self.mlp)

    @property
    def discriminator_circuits(self) -> Counter[int]:
        """How many circuits of each width the discriminator has (empty if classical)."""
        return _circuits(self.quantum, [(self.critic_hidden, self.critic_depth)], self.critic_mlp)

    @property
    def max_qubits(self) -> int:
        """The widest circuit of either network (0 if classical)."""
        return max((self.generator_circuits + self.discriminator_circuits).keys(), default=0)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict; :meth:`from_dict` inverts it."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GanConfig:
        check_fields(cls, data, ModelConfigError, "GAN configuration fields")
        values = dict(data)
        for label in ("image_shape", "widths", "depths"):
            values[label] = tuple(values[label])
        if values.get("circuit") is not None:
            values["circuit"] = CircuitConfig(**values["circuit"])
        return cls(**values)


def qubits(circuits: Counter[int]) -> int:
    """The thesis's "# Qubits" of circuits counted by width: the sum of all their widths."""
    return sum(width * count for width, count in circuits.items())


def _circuits(quantum: bool, functions: list[tuple[int, int]], mlp: int) -> Counter[int]:
    """Circuits of ``count`` attention + feed-forward functions of each ``(width, count)``."""
    circuits: Counter[int] = Counter()
    if quantum:
        for width, count in functions:
            circuits += Counter({width: 4 * count}) + Counter({mlp: count})
    return circuits
