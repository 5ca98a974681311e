import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qrkt.errors import CheckpointError
from qrkt.gan.classifier import feature_classifier, outliers
from qrkt.gan.images import load_gan_data
from qrkt.training.checkpoint import save_checkpoint


def test_outliers_are_noise_shuffled_pixels_and_blends_of_two_classes() -> None:
    images = jax.random.uniform(jax.random.PRNGKey(0), (9, 4, 4, 1), minval=-1, maxval=1)
    labels = jnp.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    made = np.asarray(outliers(jax.random.PRNGKey(1), images, labels))
    flat, made = np.asarray(images).reshape(9, -1), made.reshape(9, -1)
    assert made.shape == flat.shape
    noise, shuffled, blended = made[0::3], made[1::3], made[2::3]
    assert np.all(np.abs(noise) <= 1) and not np.any(np.isin(noise, flat))
    # The same pixel values as their image, not in its order.
    np.testing.assert_array_equal(np.sort(shuffled), np.sort(flat[1::3]))
    assert not np.array_equal(shuffled, flat[1::3])
    # Each blend is the mean of its image and one image of another class.
    for row, blend in zip(range(2, 9, 3), blended, strict=True):
        partners = [
            other
            for other in range(9)
            if np.allclose(blend, (flat[row] + flat[other]) / 2) and labels[other] != labels[row]
        ]
        assert partners, row


def test_a_cached_classifier_of_another_recipe_is_refused(tmp_path) -> None:
    path = tmp_path / "classifier.ckpt"
    save_checkpoint(path, {"params": {}}, {"dataset": "digits", "image_shape": [8, 8, 1]})
    data = load_gan_data("digits", None, (8, 8, 1))
    message = r"trained by recipe None, not of 'digits' \[8, 8, 1\] by 'outlier-exposure'"
    with pytest.raises(CheckpointError, match=message):
        feature_classifier(data, path)
