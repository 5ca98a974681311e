"""``sincos``: float32 sine and cosine from one range reduction, and their derivatives."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import enable_x64

from qrkt.backends.trig import FEW, REDUCTION_LIMIT, sincos


def _errors(angles: np.ndarray) -> tuple[float, float]:
    sin, cos = jax.jit(sincos)(jnp.asarray(angles, jnp.float32))
    exact = np.asarray(angles, np.float32).astype(np.float64)
    return (
        float(np.abs(np.asarray(sin, np.float64) - np.sin(exact)).max()),
        float(np.abs(np.asarray(cos, np.float64) - np.cos(exact)).max()),
    )


def test_float32_angles_are_within_1e7_of_float64_up_to_the_reduction_limit() -> None:
    rng = np.random.default_rng(0)
    quarter_turns = np.arange(-64, 65) * np.pi / 4  # every quadrant's edges
    angles = np.concatenate(
        [
            np.linspace(-10, 10, 20_001),
            rng.uniform(-REDUCTION_LIMIT, REDUCTION_LIMIT, 200_000),
            quarter_turns,
            np.nextafter(quarter_turns, np.inf),
            [0.0, -0.0, REDUCTION_LIMIT, -REDUCTION_LIMIT],
        ]
    )
    assert max(_errors(angles)) < 1e-7


@pytest.mark.parametrize("largest", [1e5, 1e12, 3e38])
def test_a_batch_with_a_larger_angle_is_still_exact(largest: float) -> None:
    angles = np.random.default_rng(1).uniform(-4, 4, 1_000)
    angles[7] = largest
    assert max(_errors(angles)) < 1e-7


def test_few_angles_agree_with_many() -> None:
    angles = np.random.default_rng(2).uniform(-20, 20, 4 * FEW).astype(np.float32)
    many = np.asarray(jax.jit(sincos)(angles))
    few = np.concatenate([np.asarray(sincos(part)) for part in np.split(angles, 8)], axis=1)
    np.testing.assert_allclose(few, many, atol=1e-7)


def test_float64_angles_keep_their_precision() -> None:
    with enable_x64():
        angles = jnp.linspace(-30, 30, 4 * FEW, dtype=jnp.float64)
        sin, cos = sincos(angles)
        assert sin.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(sin), np.sin(np.asarray(angles)), atol=1e-15)
        np.testing.assert_allclose(np.asarray(cos), np.cos(np.asarray(angles)), atol=1e-15)


def test_derivatives_of_every_order_are_the_rotated_values() -> None:
    angles = jnp.linspace(-9, 9, 2 * FEW, dtype=jnp.float32)

    def sum_of(part: int):
        return lambda angles: sincos(angles)[part].sum()

    first_sin, first_cos = jax.grad(sum_of(0))(angles), jax.grad(sum_of(1))(angles)
    second_sin = jax.grad(lambda a: jax.grad(sum_of(0))(a).sum())(angles)
    np.testing.assert_allclose(first_sin, np.cos(angles), atol=2e-7)
    np.testing.assert_allclose(first_cos, -np.sin(angles), atol=2e-7)
    np.testing.assert_allclose(second_sin, -np.sin(angles), atol=2e-7)


def test_a_vmapped_batch_agrees_with_the_whole() -> None:
    angles = jnp.asarray(np.random.default_rng(3).uniform(-9, 9, (4, 2 * FEW)), jnp.float32)
    angles = angles.at[2, 5].set(1e6)  # one row past the reduction's limit
    np.testing.assert_allclose(
        np.asarray(jax.vmap(sincos)(angles)), np.asarray(sincos(angles)), atol=1e-7
    )
