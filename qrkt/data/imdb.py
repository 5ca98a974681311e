"""IMDb movie reviews (Maas et al.'s ``aclImdb`` layout) as word-id sequences.

``aclImdb`` holds ``train/pos``, ``train/neg`` and, optionally, ``test/pos`` and ``test/neg``,
one review per ``*.txt`` file (``train/unsup`` is not used); ``data_dir`` may name it or its
parent. Labels: ``neg`` 0, ``pos`` 1. 2,500 of the 25,000 training reviews (10 % of a seeded
permutation) form the validation split, leaving 22,500.

Text is lower-cased, ``<br />`` tags removed and split into words of letters and digits (an
inner apostrophe stays: ``don't``); punctuation is dropped. The vocabulary is built from the
training split only (not validation, not test): id 0 pads, id 1 stands for an unknown word, and
the most frequent words take ids 2 .. ``vocabulary_size - 1`` (ties broken alphabetically).
A sequence keeps its first ``max_length`` words and is padded with 0 at the end. Files are read
as UTF-8, an undecodable byte becoming U+FFFD.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from qrkt.data.dataset import DataError, Dataset, Split, require_directory, split_indices
from qrkt.errors import is_integer

VALIDATION_PERCENT = 10
FOLDER = "aclImdb"
PAD, UNKNOWN = 0, 1
CLASSES = ("neg", "pos")
_EXPECTED = (
    f"{FOLDER}/train/pos/*.txt and {FOLDER}/train/neg/*.txt, and optionally {FOLDER}/test/pos "
    f"and {FOLDER}/test/neg (data_dir may be {FOLDER} or its parent)"
)
_BREAK = re.compile(r"<br\s*/?>")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def load_imdb(
    data_dir: Path | None, *, seed: int = 0, max_length: int = 512, vocabulary_size: int = 20_000
) -> Dataset:
    """IMDb: ``(max_length,)`` int32 word ids, 22,500 training and 2,500 validation reviews.

    Args:
      data_dir: ``aclImdb`` or its parent.
      seed: chooses the validation split.
      max_length: words kept per review.
      vocabulary_size: the most ids, counting the padding and unknown ids.
    """
    for option, value, least in (
        ("max_length", max_length, 1),
        ("vocabulary_size", vocabulary_size, 3),
    ):
        if not is_integer(value) or value < least:
            raise DataError(f"imdb's {option} must be an integer >= {least}; got {value!r}")
    directory = require_directory(data_dir, "imdb", _EXPECTED, folder=FOLDER)
    texts, labels = _read_split(directory / "train")
    tokens = [tokenize(text) for text in texts]
    train_rows, validation_rows = split_indices(
        len(labels), validation_percent=VALIDATION_PERCENT, seed=seed
    )
    vocabulary = build_vocabulary((tokens[i] for i in train_rows), vocabulary_size)

    def split(token_lists: Sequence[list[str]], split_labels: np.ndarray) -> Split:
        return Split(encode(token_lists, vocabulary, max_length), split_labels)

    test = None
    if (directory / "test").is_dir():
        test_texts, test_labels = _read_split(directory / "test")
        test = split([tokenize(text) for text in test_texts], test_labels)
    return Dataset(
        name="imdb",
        train=split([tokens[i] for i in train_rows], labels[train_rows]),
        validation=split([tokens[i] for i in validation_rows], labels[validation_rows]),
        test=test,
        num_classes=len(CLASSES),
        input_shape=(max_length,),
        vocabulary_size=len(vocabulary) + 2,
    )


def tokenize(text: str) -> list[str]:
    """Lower-cased words of ``text``, without ``<br />`` tags and punctuation."""
    return _WORD.findall(_BREAK.sub(" ", text.lower()))


def build_vocabulary(token_lists: Iterable[list[str]], vocabulary_size: int) -> dict[str, int]:
    """Word -> id for the ``vocabulary_size - 2`` most frequent words, ids from 2."""
    counts = Counter(word for tokens in token_lists for word in tokens)
    ranked = sorted(counts, key=lambda word: (-counts[word], word))[: vocabulary_size - 2]
    return {word: index for index, word in enumerate(ranked, start=UNKNOWN + 1)}


def encode(
    token_lists: Sequence[list[str]], vocabulary: dict[str, int], max_length: int
) -> np.ndarray:
    """``(len(token_lists), max_length)`` int32 ids: truncated, padded with ``PAD`` at the end."""
    ids = np.full((len(token_lists), max_length), PAD, np.int32)
    for row, tokens in enumerate(token_lists):
        kept = tokens[:max_length]
        ids[row, : len(kept)] = [vocabulary.get(word, UNKNOWN) for word in kept]
    return ids


def _read_split(directory: Path) -> tuple[list[str], np.ndarray]:
    """Texts and int32 labels of ``directory/neg`` and ``directory/pos``, in file-name order."""
    texts: list[str] = []
    labels: list[int] = []
    for label, name in enumerate(CLASSES):
        files = sorted((directory / name).glob("*.txt"))
        if not files:
            raise DataError(f"found no reviews {directory / name}/*.txt; expected {_EXPECTED}")
        texts.extend(path.read_text(encoding="utf-8", errors="replace") for path in files)
        labels.extend([label] * len(files))
    return texts, np.asarray(labels, np.int32)
