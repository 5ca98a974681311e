"""IMDb from an aclImdb tree that the tests write."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qrkt.data import DataError, load_dataset
from qrkt.data.dataset import split_indices
from qrkt.data.imdb import PAD, UNKNOWN, build_vocabulary, encode, tokenize

REVIEWS = {
    "neg": [
        "Bad, bad movie.<br /><br />Don't watch it!",
        "A boring plot; bad acting.",
        "Terrible. Simply terrible.",
        "bad bad bad",
        "I left early",
    ],
    "pos": [
        "A great movie!",
        "Great acting, great plot.",
        "Loved it<br />loved it",
        "Wonderful; a classic.",
        "Best film of the year",
    ],
}


def write_imdb(root: Path, *, test: bool = True) -> Path:
    """An ``aclImdb`` tree under ``root`` with ``REVIEWS`` as training (and test) reviews."""
    for split in ("train", "test") if test else ("train",):
        for label, texts in REVIEWS.items():
            folder = root / "aclImdb" / split / label
            folder.mkdir(parents=True)
            for index, text in enumerate(texts):
                (folder / f"{index}_7.txt").write_text(text, encoding="utf-8")
    return root / "aclImdb"


def test_tokenize() -> None:
    assert tokenize("Bad, BAD movie.<br /><br />Don't watch it!") == [
        "bad",
        "bad",
        "movie",
        "don't",
        "watch",
        "it",
    ]
    assert tokenize("café -- 10/10 'quoted' snake_case") == [
        "café",
        "10",
        "10",
        "quoted",
        "snake",
        "case",
    ]


def test_vocabulary_ranks_by_count_then_alphabet_and_caps_its_size() -> None:
    tokens = [["b", "a", "c", "b"], ["c", "d"]]
    assert build_vocabulary(tokens, 100) == {"b": 2, "c": 3, "a": 4, "d": 5}
    assert build_vocabulary(tokens, 4) == {"b": 2, "c": 3}


def test_encode_truncates_and_pads() -> None:
    ids = encode([["a", "x", "b"], ["b"]], {"a": 2, "b": 3}, 2)
    assert ids.dtype == np.int32
    assert ids.tolist() == [[2, UNKNOWN], [3, PAD]]


@pytest.mark.parametrize("parent", [False, True], ids=["aclImdb", "parent"])
def test_loads_reviews(tmp_path: Path, parent: bool) -> None:
    folder = write_imdb(tmp_path)
    dataset = load_dataset("imdb", tmp_path if parent else folder, max_length=6)
    assert (len(dataset.train), len(dataset.validation)) == (9, 1)
    assert dataset.test is not None and len(dataset.test) == 10
    assert (dataset.num_classes, dataset.input_shape) == (2, (6,))
    assert dataset.train.inputs.shape == (9, 6)
    assert dataset.train.inputs.dtype == dataset.train.labels.dtype == np.int32
    assert dataset.test.labels.tolist() == [0] * 5 + [1] * 5
    texts = REVIEWS["neg"] + REVIEWS["pos"]
    train_rows, validation_rows = split_indices(10, validation_percent=10, seed=0)
    vocabulary = build_vocabulary((tokenize(texts[i]) for i in train_rows), 20_000)
    assert dataset.vocabulary_size == len(vocabulary) + 2
    expected = encode([tokenize(texts[i]) for i in validation_rows], vocabulary, 6)
    assert np.array_equal(dataset.validation.inputs, expected)


def test_vocabulary_comes_from_the_training_split_only(tmp_path: Path) -> None:
    write_imdb(tmp_path)
    dataset = load_dataset("imdb", tmp_path, max_length=8)
    texts = REVIEWS["neg"] + REVIEWS["pos"]
    _, validation_rows = split_indices(10, validation_percent=10, seed=0)
    train_words = {w for i, t in enumerate(texts) if i not in validation_rows for w in tokenize(t)}
    unseen = [w for w in tokenize(texts[validation_rows[0]]) if w not in train_words]
    assert unseen, "the test data needs a validation review with a word of its own"
    assert dataset.vocabulary_size == len(train_words) + 2
    assert (dataset.validation.inputs == UNKNOWN).sum() == len(unseen)


def test_vocabulary_size_caps_the_ids(tmp_path: Path) -> None:
    write_imdb(tmp_path)
    dataset = load_dataset("imdb", tmp_path, vocabulary_size=5)
    assert dataset.vocabulary_size == 5
    assert dataset.input_shape == (512,)
    for split in (dataset.train, dataset.validation, dataset.test):
        assert split is not None
        assert split.inputs.max() <= 4
    assert dataset.train.inputs.max() == 4
    # "bad" is the most frequent training word: id 2
    assert dataset.test is not None and dataset.test.inputs[0, 0] == 2


def test_no_test_folder_gives_no_test_split(tmp_path: Path) -> None:
    write_imdb(tmp_path, test=False)
    assert load_dataset("imdb", tmp_path).test is None


def test_missing_reviews(tmp_path: Path) -> None:
    folder = write_imdb(tmp_path, test=False)
    for path in (folder / "train" / "pos").iterdir():
        path.unlink()
    with pytest.raises(DataError, match=r"found no reviews .*train/pos/\*\.txt; expected aclImdb"):
        load_dataset("imdb", tmp_path)


@pytest.mark.parametrize(
    ("option", "value"), [("max_length", 0), ("vocabulary_size", 2), ("max_length", 1.5)]
)
def test_bad_options(tmp_path: Path, option: str, value: object) -> None:
    with pytest.raises(DataError, match=rf"imdb's {option} must be an integer >= \d; got {value}"):
        load_dataset("imdb", tmp_path, **{option: value})  # type: ignore[arg-type]
