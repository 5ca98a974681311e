"""Quantum layers: the abstract interface models use, and its implementations."""

from qrkt.layers.base import QuantumLayer, QuantumLayerFactory
from qrkt.layers.circuit import CircuitLayer, CircuitLayerFactory
from qrkt.layers.classical import ProductStateLayer

__all__ = [
    "CircuitLayer",
    "CircuitLayerFactory",
    "ProductStateLayer",
    "QuantumLayer",
    "QuantumLayerFactory",
]
