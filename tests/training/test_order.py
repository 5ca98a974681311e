import numpy as np

from qrkt.training.order import epoch_order, evaluation_batches, steps_per_epoch, training_batch


def test_epoch_order_is_a_pure_function_of_seed_and_epoch() -> None:
    np.testing.assert_array_equal(epoch_order(3, 1, 100), epoch_order(3, 1, 100))
    assert sorted(epoch_order(3, 1, 100)) == list(range(100))
    assert not np.array_equal(epoch_order(3, 1, 100), epoch_order(3, 2, 100))
    assert not np.array_equal(epoch_order(3, 1, 100), epoch_order(4, 1, 100))


def test_training_batches_drop_the_last_partial_batch() -> None:
    order = epoch_order(0, 0, 10)
    assert steps_per_epoch(10, 4) == 2
    np.testing.assert_array_equal(training_batch(order, 1, 4), order[4:8])


def test_evaluation_batches_cover_every_row_once_in_full_batches() -> None:
    batches = list(evaluation_batches(10, 4))
    assert [len(b) for b in batches] == [4, 4, 4]
    np.testing.assert_array_equal(np.concatenate(batches)[:10], np.arange(10))
    np.testing.assert_array_equal(batches[-1][2:], [0, 0])  # padding
