"""Quantum layers: the abstract interface models use, and its implementations."""

from qrkt.layers.base import QuantumLayer
from qrkt.layers.circuit import CircuitLayer
from qrkt.layers.classical import ProductStateLayer

__all__ = ["CircuitLayer", "ProductStateLayer", "QuantumLayer"]
