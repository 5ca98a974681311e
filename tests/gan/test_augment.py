import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qrkt.errors import UnknownNameError
from qrkt.gan import build_gan, get_gan_preset
from qrkt.gan.augment import FILL, POLICIES, augment, check_policies, cutout, translation
from qrkt.gan.images import load_gan_data
from tests.gan.helpers import compile_fast

ALL = ("color", "translation", "cutout")


def _images(seed: int, shape=(6, 8, 8, 3)) -> jax.Array:
    return jax.random.uniform(jax.random.PRNGKey(seed), shape, minval=-1, maxval=1)


def test_translation_shifts_padding_with_the_background() -> None:
    images = _images(0, (64, 8, 8, 1))
    shifted = np.asarray(translation(jax.random.PRNGKey(1), images))
    images = np.asarray(images)
    seen = set()
    for original, moved in zip(images, shifted, strict=True):
        matches = [
            (dy, dx)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
            if np.array_equal(moved, _shift(original, dy, dx))
        ]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) == 9  # every shift of up to 1/8 of 8 pixels occurs


def _shift(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    out = np.full_like(image, FILL)
    height, width = image.shape[:2]
    for y in range(height):
        for x in range(width):
            if 0 <= y - dy < height and 0 <= x - dx < width:
                out[y, x] = image[y - dy, x - dx]
    return out


def test_cutout_fills_one_square_of_half_the_side_at_most() -> None:
    images = jnp.ones((32, 8, 8, 2))
    cut = np.asarray(cutout(jax.random.PRNGKey(0), images))
    assert set(np.unique(cut)) == {FILL, 1.0}
    for image in cut:
        zero = np.argwhere(image[..., 0] == FILL)
        assert np.all(image[..., 1] == image[..., 0])
        rows, columns = np.ptp(zero[:, 0]) + 1, np.ptp(zero[:, 1]) + 1
        assert rows <= 4 and columns <= 4 and len(zero) == rows * columns


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_every_policy_is_affine_so_interpolates_stay_interpolates(name: str) -> None:
    real, fake, key = _images(1), _images(2), jax.random.PRNGKey(3)
    share = jax.random.uniform(jax.random.PRNGKey(4), (6, 1, 1, 1))
    mixed = augment(key, share * real + (1 - share) * fake, (name,))
    expected = share * augment(key, real, (name,)) + (1 - share) * augment(key, fake, (name,))
    np.testing.assert_allclose(mixed, expected, atol=1e-5)


def test_augmentation_changes_images_and_is_differentiable() -> None:
    images = _images(5)
    augmented = augment(jax.random.PRNGKey(0), images, ALL)
    assert augmented.shape == images.shape
    assert not np.allclose(augmented, images)
    gradient = jax.grad(lambda x: augment(jax.random.PRNGKey(0), x, ALL).sum())(images)
    assert np.isfinite(gradient).all() and np.abs(gradient).sum() > 0


def test_unknown_policy_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="unknown augmentation 'flip'; known: color, cutout"):
        check_policies(("color", "flip"))


@pytest.mark.parametrize("stem", [0, 16])
def test_the_untrained_critic_has_gradients_of_order_one_on_augmented_digits(stem: int) -> None:
    # Filled with DiffAugment's 0, blank patches embed to tokens of almost no variance, whose
    # LayerNorm made the median input gradient about 37 (the gradient penalty started at ~150).
    # Now it is about 1.0 without the convolutional stem and 2.1 with the presets' one.
    config = dataclasses.replace(get_gan_preset("digits-transgan").model, critic_stem=stem)
    _, critic = build_gan(config)
    real = load_gan_data("digits", None, config.image_shape).train[:64]
    params = critic.init(jax.random.PRNGKey(0), real[:1])
    seen = augment(jax.random.PRNGKey(1), jnp.asarray(real), ALL)
    # Each score depends on its own image only: the gradient of their sum is per image.
    gradient = jax.grad(lambda images: critic.apply(params, images).sum())
    gradients = compile_fast(gradient, seen)(seen)
    norms = np.sqrt(np.sum(np.asarray(gradients) ** 2, axis=(1, 2, 3)))
    assert np.median(norms) < 4
