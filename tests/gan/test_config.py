import dataclasses
from collections import Counter

import pytest

from qrkt.errors import TrainingError
from qrkt.gan import GAN_PRESETS, GanConfig, GanTrainConfig, describe_gan_preset, get_gan_preset
from qrkt.gan.config import qubits
from qrkt.gan.presets import gan_parameter_counts
from qrkt.gan.training import REFERENCE_RECIPE
from qrkt.models import ModelConfigError

QUANTUM = get_gan_preset("digits-qgan").model


def test_digits_qgan_counts_its_circuits_by_width() -> None:
    # Stage 1: two encoders (4 attention + 1 MLP circuits each); stage 2: RK4_ENH, 4 stages x 5.
    assert QUANTUM.generator_circuits == Counter({8: 30})
    assert QUANTUM.discriminator_circuits == Counter({8: 10})  # two encoders
    assert qubits(QUANTUM.generator_circuits) == 240
    assert QUANTUM.max_qubits == 8
    classical = get_gan_preset("digits-transgan").model
    assert classical.generator_circuits == Counter() and classical.max_qubits == 0


def test_every_preset_keeps_circuits_small_and_its_classical_twin_has_its_structure() -> None:
    for name, preset in GAN_PRESETS.items():
        assert preset.model.max_qubits <= 16
        if name.endswith("-qgan"):
            twin = GAN_PRESETS[name.replace("-qgan", "-transgan")].model
            assert dataclasses.replace(preset.model, circuit=None) == twin


def test_quantum_gan_has_fewer_parameters_than_its_baseline() -> None:
    quantum = gan_parameter_counts(QUANTUM)
    classical = gan_parameter_counts(get_gan_preset("digits-transgan").model)
    assert quantum["generator"] < classical["generator"]
    assert quantum["discriminator"] < classical["discriminator"]


def test_describe_names_the_circuits_by_width() -> None:
    text = describe_gan_preset("digits-qgan")
    assert "generator circuits     30 x 8 qubits (240 qubits in all)" in text
    assert "3x3 output convolution" in text and "reads all tokens" in text
    assert "discriminator circuits 10 x 8 qubits (80 qubits in all)" in text
    assert "at most 8 qubits each" in text
    assert "(classical)" in describe_gan_preset("digits-transgan")


def test_config_round_trips_through_a_dict() -> None:
    assert GanConfig.from_dict(QUANTUM.to_dict()) == QUANTUM


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"depths": (1, 1)}, "1 value\\(s\\) for 2 widths, got 2"),
        ({"grid": 3}, "makes 6x6 images .* but image_shape is \\(8, 8, 1\\)"),
        ({"widths": (8, 6)}, "generator width 6 does not divide into 4 heads"),
        ({"patch": 3}, "does not split into 3x3 patches"),
        ({"critic_heads": 3}, "critic_hidden 8 does not divide into 3 heads"),
        ({"latent": 0}, "latent must be an integer >= 1, got 0"),
        ({"output_kernel": 0}, "output_kernel must be an integer >= 1, got 0"),
        ({"critic_stem": -8}, "critic_stem must be an integer >= 0, got -8"),
        (
            {"critic_readout": "mean"},
            "critic_readout must be one of class_token, all_tokens, got 'mean'; class_token is "
            "REFERENCE §5's",
        ),
    ],
)
def test_inconsistent_configs_say_what_to_change(change: dict, message: str) -> None:
    fields = {**QUANTUM.to_dict(), "heads": 4 if "widths" in change else 2, **change}
    with pytest.raises(ModelConfigError, match=message):
        GanConfig.from_dict(fields)


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="unknown GAN preset 'x'; known GAN presets: cifar10-qgan"):
        get_gan_preset("x")


def test_qrkt_describe_knows_the_gan_presets(capsys: pytest.CaptureFixture[str]) -> None:
    from qrkt.cli import main

    assert main(["describe", "digits-qgan"]) == 0
    assert "generator circuits     30 x 8 qubits" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"loss": "hinge"},
            "loss (--loss) must be one of wgan-gp-eps, ns-r1, got 'hinge'; wgan-gp-eps is "
            "REFERENCE §5's",
        ),
        (
            {"r1_gamma": -1.0},
            "r1_gamma (--r1-gamma) must be >= 0, got -1.0; 0 turns the R1 penalty off",
        ),
        ({"r1_gamma": float("nan")}, "r1_gamma (--r1-gamma) must be a finite number, got nan"),
        ({"r1_gamma": float("inf")}, "r1_gamma (--r1-gamma) must be a finite number, got inf"),
    ],
)
def test_an_unknown_loss_or_a_bad_r1_weight_is_refused(settings: dict, message: str) -> None:
    with pytest.raises(TrainingError) as error:
        GanTrainConfig(preset="digits-qgan", **settings)
    assert str(error.value) == message


def test_runs_stored_before_the_loss_was_a_setting_load_as_wgan_gp_eps_runs() -> None:
    """The default loss is ns-r1 now; runs stored before the loss was a setting trained with
    WGAN-GP-eps and load as such; a resumed run keeps its loss and its R1 weight."""
    stored = GanTrainConfig(preset="digits-qgan", **REFERENCE_RECIPE)
    older = {
        key: value for key, value in stored.to_dict().items() if key not in ("loss", "r1_gamma")
    }
    assert GanTrainConfig.from_dict(older) == stored and stored.loss == "wgan-gp-eps"
    assert GanTrainConfig(preset="digits-qgan").loss == "ns-r1"
    requested = GanTrainConfig(
        preset="digits-qgan", **{**REFERENCE_RECIPE, "loss": "ns-r1"}, r1_gamma=0.0
    )
    assert stored.differences(requested) == [
        "loss: 'wgan-gp-eps' vs 'ns-r1'",
        "r1_gamma: 0.1 vs 0.0",
    ]
