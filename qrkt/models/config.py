"""A QRKT model's configuration: a small frozen value that presets name and checkpoints store."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, Literal

from qrkt.errors import QrktError, UnknownNameError, check_fields, check_int, known_names
from qrkt.models.runge_kutta import TABLEAUS


class ModelConfigError(QrktError, ValueError):
    """A model configuration is inconsistent (a field out of range, or fields that disagree)."""


@dataclasses.dataclass(frozen=True)
class CircuitConfig:
    """Which variational circuit every quantum layer of a model runs (REFERENCE §1)."""

    ansatz: str = "qrkt"
    layers: int = 1
    tied: bool = True


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """A vision or text transformer of the QRKT family (REFERENCE §2).

    Attributes:
      kind: ``"vision"`` (patch embeddings) or ``"text"`` (token embeddings).
      num_classes: classifier outputs.
      hidden: d, the token width; also the width of the attention circuits.
      heads: h; ``hidden`` must divide by it.
      mlp: m, the feed-forward hidden width; also the width of the feed-forward circuit.
      encoders: E, pre-LN encoder blocks before the Runge-Kutta blocks.
      ode_blocks: the Runge-Kutta blocks in order, by method name (``"rk4_enh"``, ...).
      decoders: D, decoder blocks on the second embedding path; 0 pools the encoder path.
      image_shape: (H, W, C), vision only.
      patch: patch size (kernel = stride), vision only; H and W must divide by it.
      vocabulary_size: token ids in ``[0, vocabulary_size)``, text only.
      max_length: the longest sequence the position embedding covers, text only.
      dropout: dropout of attention weights and of every residual branch.
      embedding_dropout: dropout after the embeddings.
      shared_stages: one F per Runge-Kutta block for all stages (the ODE Transformer) instead
        of one per stage (the default, as the thesis's tables count).
      circuit: the circuit of every quantum layer; ``None`` is the classical model, whose
        projections are ``Dense(d -> d)`` and whose feed-forward has no circuit.
    """

    kind: Literal["vision", "text"]
    num_classes: int
    hidden: int
    heads: int
    mlp: int
    encoders: int = 0
    ode_blocks: tuple[str, ...] = ()
    decoders: int = 0
    image_shape: tuple[int, int, int] | None = None
    patch: int | None = None
    vocabulary_size: int | None = None
    max_length: int = 512
    dropout: float = 0.1
    embedding_dropout: float = 0.1
    shared_stages: bool = False
    circuit: CircuitConfig | None = None

    def __post_init__(self) -> None:
        for label in ("num_classes", "hidden", "heads", "mlp", "max_length"):
            check_int(label, getattr(self, label), minimum=1, error=ModelConfigError)
        for label in ("encoders", "decoders"):
            check_int(label, getattr(self, label), minimum=0, error=ModelConfigError)
        if self.hidden % self.heads:
            raise ModelConfigError(
                f"hidden size {self.hidden} does not divide into {self.heads} heads; choose "
                "heads that divide the hidden size"
            )
        for method in self.ode_blocks:
            if method not in TABLEAUS:
                raise UnknownNameError(
                    f"unknown Runge-Kutta method {method!r}; known: {known_names(TABLEAUS)}"
                )
        if self.encoders + len(self.ode_blocks) == 0:
            raise ModelConfigError(
                "the model has no encoder path: give encoders >= 1 or at least one ODE block"
            )
        for label in ("dropout", "embedding_dropout"):
            if not 0.0 <= getattr(self, label) < 1.0:
                raise ModelConfigError(f"{label} must be in [0, 1), got {getattr(self, label)}")
        self._check_inputs()

    def _check_inputs(self) -> None:
        if self.kind == "vision":
            if self.image_shape is None or self.patch is None:
                raise ModelConfigError("a vision model needs image_shape (H, W, C) and patch")
            height, width, _ = self.image_shape
            check_int("patch", self.patch, minimum=1, error=ModelConfigError)
            if height % self.patch or width % self.patch:
                raise ModelConfigError(
                    f"image of {height}x{width} does not split into {self.patch}x{self.patch} "
                    "patches; choose a patch size that divides both sides"
                )
        elif self.kind == "text":
            if self.vocabulary_size is None:
                raise ModelConfigError("a text model needs vocabulary_size")
            check_int("vocabulary_size", self.vocabulary_size, minimum=2, error=ModelConfigError)
        else:
            raise UnknownNameError(f"unknown model kind {self.kind!r}; known: text, vision")

    @property
    def quantum(self) -> bool:
        return self.circuit is not None

    @property
    def stages(self) -> int:
        """Σ k_b: the Runge-Kutta stages of all ODE blocks (RK4_ENH counts 4)."""
        return sum(len(TABLEAUS[method].weights) for method in self.ode_blocks)

    @property
    def circuit_widths(self) -> Counter[int]:
        """How many circuits of each width the model has (empty for a classical model).

        An F (encoder block or Runge-Kutta stage) has four d-qubit attention circuits and one
        m-qubit feed-forward circuit; a decoder adds a fifth d-qubit circuit, the output
        projection of its cross-attention. With ``shared_stages`` a block has one F.
        """
        if not self.quantum:
            return Counter()
        functions = self.encoders + self.decoders
        functions += len(self.ode_blocks) if self.shared_stages else self.stages
        return Counter({self.hidden: 4 * functions + self.decoders}) + Counter(
            {self.mlp: functions}
        )

    @property
    def qubits(self) -> int:
        """The thesis's "# Qubits": the sum of the widths of all distinct circuits (§3)."""
        return sum(width * count for width, count in self.circuit_widths.items())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict; :meth:`from_dict` inverts it."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        check_fields(cls, data, ModelConfigError, "model configuration fields")
        values = dict(data)
        for label in ("ode_blocks", "image_shape"):
            if values.get(label) is not None:
                values[label] = tuple(values[label])
        if values.get("circuit") is not None:
            values["circuit"] = CircuitConfig(**values["circuit"])
        return cls(**values)
