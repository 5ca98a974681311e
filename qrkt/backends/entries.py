"""Complex arithmetic on matrix entries that keeps known zeros and constants out of a trace.

An entry is ``None`` (zero by structure) or a pair ``(re, im)`` whose parts are Python floats,
JAX scalars or per-sample arrays, or ``None`` where the part is zero. Python floats keep
constant gates constant in a traced program, and known zeros are never computed: the ``jax``
backend builds its fused gate matrices this way, so a product of real gates (RY, H, CNOT) does
real arithmetic only.
"""

from __future__ import annotations

from functools import reduce

Entry = tuple[object, object] | None
Matrix = list[list[Entry]]

IDENTITY: Matrix = [[(1.0, None), None], [None, (1.0, None)]]


def part_mul(a, b):
    """``a * b`` for parts, ``None`` meaning zero; a factor of exactly 1.0 is skipped."""
    if a is None or b is None:
        return None
    if isinstance(a, float) and a == 1.0:
        return b
    if isinstance(b, float) and b == 1.0:
        return a
    return a * b


def part_add(a, b, *, subtract: bool = False):
    """``a + b`` (or ``a - b``) for parts, ``None`` meaning zero."""
    if b is None:
        return a
    if a is None:
        return -b if subtract else b
    return a - b if subtract else a + b


def scale(factor: float, part):
    """``factor * part``, ``None`` meaning zero."""
    return None if part is None else factor * part


def entry_mul(a: Entry, b: Entry) -> Entry:
    """The complex product of two entries."""
    if a is None or b is None:
        return None
    (ar, ai), (br, bi) = a, b
    re = part_add(part_mul(ar, br), part_mul(ai, bi), subtract=True)
    im = part_add(part_mul(ar, bi), part_mul(ai, br))
    return None if re is None and im is None else (re, im)


def entry_add(a: Entry, b: Entry) -> Entry:
    """The complex sum of two entries."""
    if a is None or b is None:
        return b if a is None else a
    return part_add(a[0], b[0]), part_add(a[1], b[1])


def matmul(a: Matrix, b: Matrix) -> Matrix:
    """The product of two square matrices of entries."""
    size = len(a)
    return [
        [
            reduce(entry_add, (entry_mul(a[i][k], b[k][j]) for k in range(size)), None)
            for j in range(size)
        ]
        for i in range(size)
    ]


def kron(a: Matrix, b: Matrix) -> Matrix:
    """The Kronecker product of two 2x2 matrices of entries, a 4x4 one."""
    return [[entry_mul(a[i // 2][j // 2], b[i % 2][j % 2]) for j in range(4)] for i in range(4)]
