import dataclasses

import pytest

from qrkt.errors import TrainingError
from qrkt.training import TrainConfig


def test_defaults_are_the_thesis_recipe() -> None:
    config = TrainConfig(preset="mnist-qrk4-enh")
    assert (config.epochs, config.batch_size, config.learning_rate) == (65, 64, 1e-3)
    assert (config.warmup_steps, config.decay_steps) == (5_000, 50_000)
    assert (config.clip_norm, config.weight_decay) == (1.0, 1e-4)


def test_round_trips_through_a_dict() -> None:
    config = TrainConfig(preset="digits-qrk1", epochs=3, limit=128, checkpoint_every=2)
    assert TrainConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"epochs": 0}, "epochs must be an integer >= 1, got 0"),
        ({"batch_size": 2.5}, "batch_size must be an integer >= 1, got 2.5"),
        ({"limit": 0}, "limit must be an integer >= 1, got 0"),
        ({"learning_rate": 0.0}, "learning_rate must be > 0, got 0.0"),
        ({"weight_decay": -1.0}, "weight_decay must be >= 0, got -1.0"),
        ({"seed": 2**32}, "seed must be an integer from 0 to 4294967295, got 4294967296"),
        (
            {"epochs": 10**20},
            "epochs must be an integer from 1 to 1000000, got 100000000000000000000",
        ),
        ({"learning_rate": float("inf")}, "learning_rate must be a finite number, got inf"),
        ({"learning_rate": float("nan")}, "learning_rate must be a finite number, got nan"),
        ({"clip_norm": float("inf")}, "clip_norm must be a finite number, got inf"),
        ({"weight_decay": float("inf")}, "weight_decay must be a finite number, got inf"),
        ({"learning_rate": "fast"}, "learning_rate must be a finite number, got 'fast'"),
        ({"time_limit": float("inf")}, "time_limit must be a finite number, got inf"),
        (
            {"time_limit": 0.0},
            "time_limit must be > 0 seconds of training, got 0.0; leave it out to train every "
            "epoch",
        ),
        (
            {"warmup_steps": 10, "decay_steps": 10},
            "decay_steps (10) counts the whole schedule, warm-up included, so it must exceed "
            "warmup_steps (10); raise decay_steps",
        ),
    ],
)
def test_bad_settings_say_what_was_received(settings: dict, message: str) -> None:
    with pytest.raises(TrainingError) as error:
        TrainConfig(preset="digits-rk1", **settings)
    assert str(error.value) == message


def test_unknown_fields_are_listed() -> None:
    with pytest.raises(TrainingError, match="unknown training settings lr; known: backend, "):
        TrainConfig.from_dict({"preset": "digits-rk1", "lr": 1.0})


def test_differences_ignore_what_may_change_on_resume() -> None:
    config = TrainConfig(preset="digits-rk1")
    resumable = dataclasses.replace(
        config, epochs=9, data_dir="x", checkpoint_every=5, time_limit=60.0
    )
    assert config.differences(resumable) == []
    assert config.differences(dataclasses.replace(config, seed=3, batch_size=32)) == [
        "batch_size: 64 vs 32",
        "seed: 0 vs 3",
    ]
