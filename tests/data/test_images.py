from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from qrkt.data import load_dataset
from qrkt.data.digits import read_embedded
from qrkt.data.images import image_spec, read_images
from qrkt.errors import DataError

DIGIT = (8, 8, 1)


def test_raw_pixels_are_normalised_exactly_as_the_dataset_is(tmp_path: Path) -> None:
    images, _ = read_embedded()
    np.save(tmp_path / "all.npy", images)
    read = read_images([tmp_path / "all.npy"], "digits", DIGIT)
    dataset = load_dataset("digits")
    every = np.concatenate([dataset.train.inputs, dataset.validation.inputs])
    first = dataset.train.inputs[0]
    match = np.flatnonzero(np.all(read.inputs == first, axis=(1, 2, 3)))
    assert read.inputs.shape == (1797, 8, 8, 1) and len(match) >= 1
    assert np.isclose(read.inputs.mean(), every.mean()) and read.notes == ()
    assert read.sources[:2] == (f"{tmp_path / 'all.npy'}[0]", f"{tmp_path / 'all.npy'}[1]")


def test_a_png_is_scaled_to_the_dataset_range_and_resized_with_a_note(tmp_path: Path) -> None:
    pixels = np.zeros((16, 16), np.uint8)
    pixels[:, 8:] = 255
    Image.fromarray(pixels).save(tmp_path / "half.png")
    read = read_images([tmp_path / "half.png"], "digits", DIGIT)
    spec = image_spec("digits")
    assert read.inputs.shape == (1, 8, 8, 1)
    assert read.inputs[0, 0, 0, 0] == pytest.approx((0 - spec.mean[0]) / spec.std[0])
    assert read.inputs[0, 0, 7, 0] == pytest.approx((1 - spec.mean[0]) / spec.std[0])
    assert read.notes == (f"{tmp_path / 'half.png'}: resized from 16x16 to 8x8",)


@pytest.mark.parametrize(
    ("name", "array", "message"),
    [
        (
            "big.npy",
            np.full((8, 8), 17.0),
            "values from 17.0 to 17.0; expected raw pixels in 0..16",
        ),
        ("shape.npy", np.zeros((7, 8)), r"shape \(7, 8\); the model takes images 8x8"),
        ("empty.npy", np.zeros((0, 8, 8)), r"shape \(0, 8, 8\)"),
    ],
)
def test_bad_arrays_say_what_was_expected(
    tmp_path: Path, name: str, array: np.ndarray, message: str
) -> None:
    np.save(tmp_path / name, array)
    with pytest.raises(DataError, match=message):
        read_images([tmp_path / name], "digits", DIGIT)


def test_other_files_and_datasets_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"")
    with pytest.raises(DataError, match=r"expected a \.png or \.npy file"):
        read_images([tmp_path / "a.jpg"], "digits", DIGIT)
    with pytest.raises(DataError, match="no such image file"):
        read_images([tmp_path / "b.png"], "digits", DIGIT)
    (tmp_path / "c.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"cannot read .* as a PNG image"):
        read_images([tmp_path / "c.png"], "digits", DIGIT)
    with pytest.raises(DataError, match="'imdb' is not an image dataset"):
        image_spec("imdb")


def test_nan_or_complex_pixels_are_refused_naming_the_file(tmp_path: Path) -> None:
    """Issue 18, item 4: these printed a class with probability nan."""
    np.save(tmp_path / "nan.npy", np.full((8, 8), np.nan))
    with pytest.raises(DataError) as error:
        read_images([tmp_path / "nan.npy"], "digits", DIGIT)
    assert str(error.value) == (
        f"{tmp_path / 'nan.npy'} holds 64 NaN or infinite value(s); expected raw pixels in "
        "0..16: replace them with valid pixels"
    )
    np.save(tmp_path / "complex.npy", np.ones((8, 8), np.complex64))
    with pytest.raises(DataError) as error:
        read_images([tmp_path / "complex.npy"], "digits", DIGIT)
    assert str(error.value) == (
        f"{tmp_path / 'complex.npy'} holds an array of dtype complex64; expected real raw pixels "
        "in 0..16: save an integer or float array"
    )
