"""The QRKT model family (REFERENCE §2), built on the abstract ``QuantumLayer`` only.

Nothing here imports :mod:`qrkt.backends`: a model receives a ``QuantumLayerFactory`` and never
learns which backend, if any, runs its circuits.
"""

import jax
import numpy as np

from qrkt.models.blocks import DecoderBlock, EncoderBlock, FeedForward, RungeKuttaBlock
from qrkt.models.config import CircuitConfig, ModelConfig, ModelConfigError
from qrkt.models.runge_kutta import TABLEAUS, Tableau
from qrkt.models.transformer import PatchEmbedding, TokenEmbedding, Transformer


def count_parameters(params: object) -> int:
    """All trainable parameters in a parameter tree, classical and circuit alike."""
    return int(sum(np.size(leaf) for leaf in jax.tree_util.tree_leaves(params)))


__all__ = [
    "TABLEAUS",
    "CircuitConfig",
    "DecoderBlock",
    "EncoderBlock",
    "FeedForward",
    "ModelConfig",
    "ModelConfigError",
    "PatchEmbedding",
    "RungeKuttaBlock",
    "Tableau",
    "TokenEmbedding",
    "Transformer",
    "count_parameters",
]
