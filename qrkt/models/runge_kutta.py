"""The explicit Runge-Kutta methods of the QRKT blocks, as Butcher tableaus (REFERENCE §2).

A block computes ``k_i = F_i(xn + Σ_j a[i][j] k_j)`` for each stage ``i`` and returns
``xn + Σ_i b[i] k_i``.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Tableau:
    """Stage coefficients ``a`` (row ``i`` has ``i`` entries) and output ``weights`` b."""

    a: tuple[tuple[float, ...], ...]
    weights: tuple[float, ...]


TABLEAUS: dict[str, Tableau] = {
    "rk1": Tableau(a=((),), weights=(1.0,)),
    "rk2": Tableau(a=((), (1.0,)), weights=(0.5, 0.5)),
    # Ralston's third-order method.
    "rk3": Tableau(a=((), (0.5,), (0.0, 0.75)), weights=(2 / 9, 3 / 9, 4 / 9)),
    "rk4": Tableau(
        a=((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)), weights=(1 / 6, 2 / 6, 2 / 6, 1 / 6)
    ),
    # The thesis's "enhanced" RK4: each stage steps a whole k from the last, out = xn + k1 + k4.
    "rk4_enh": Tableau(a=((), (1.0,), (0.0, 1.0), (0.0, 0.0, 1.0)), weights=(1.0, 0.0, 0.0, 1.0)),
}
