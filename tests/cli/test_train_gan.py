"""``qrkt train-gan``'s loss flags: from the command line to the config and the epoch's line."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qrkt.cli import main
from qrkt.training.report import read_records
from tests.gan.helpers import SETTINGS
from tests.training.subprocesses import run_script

RECORD = {"epoch": 1, "critic_loss": 1.5, "generator_loss": 0.75, "epoch_seconds": 2.0}


@pytest.mark.parametrize(
    ("flags", "loss", "r1_gamma", "line"),
    [
        (
            [],
            "ns-r1",
            0.1,
            "epoch 1: critic loss 1.5000 (real score 1.0000, fake score -1.0000, R1 2.0000), "
            "generator loss 0.7500; 2.0 s",
        ),
        (
            ["--loss", "wgan-gp-eps"],
            "wgan-gp-eps",
            0.1,
            "epoch 1: critic loss 1.5000 (Wasserstein 0.5000, penalty 0.2500), generator loss "
            "0.7500; 2.0 s",
        ),
        (
            ["--r1-gamma", "0.5"],
            "ns-r1",
            0.5,
            "epoch 1: critic loss 1.5000 (real score 1.0000, fake score -1.0000, R1 2.0000), "
            "generator loss 0.7500; 2.0 s",
        ),
    ],
)
def test_the_loss_flags_reach_the_config_and_the_epoch_line_shows_its_parts(
    flags: list[str],
    loss: str,
    r1_gamma: float,
    line: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import qrkt.gan

    configs = []

    def one_epoch_then_interrupt(config: Any, workdir: Path, **kwargs: Any) -> None:
        configs.append(config)
        kwargs["progress"].epoch_started(1, 8, 0)
        parts = {"wasserstein": 0.5, "penalty": 0.25, "real_score": 1, "fake_score": -1, "r1": 2}
        kwargs["progress"].epoch_finished({**RECORD, **parts})
        raise KeyboardInterrupt

    monkeypatch.setattr(qrkt.gan, "train_gan", one_epoch_then_interrupt)
    argv = ["train-gan", "--preset", "digits-qgan", "--workdir", str(tmp_path), *flags]
    assert main(argv) == 130
    assert (configs[0].loss, configs[0].r1_gamma) == (loss, r1_gamma)
    assert f"\n{line}\n" in capsys.readouterr().out


def test_an_unknown_loss_is_refused_with_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["train-gan", "--preset", "digits-qgan", "--workdir", str(tmp_path), "--loss", "x"])
    assert exit.value.code == 2
    assert "argument --loss: invalid choice: 'x' (choose from" in capsys.readouterr().err


def test_a_short_ns_r1_run_trains_end_to_end_and_stops_at_its_time_limit(
    tmp_path: Path,
) -> None:
    """Two epochs of 4 generator steps of the classical preset with the non-saturating loss,
    through the command line in a process compiling at XLA's -O0; a time limit that the first
    step passes ends the run there."""
    flags = [
        f"--{k.replace('_', '-')}={v}"
        for k, v in SETTINGS.items()
        if k not in ("decay", "checkpoint_every")
    ]
    argv = ["train-gan", *flags, "--loss", "ns-r1", "--time-limit", "1e-6"]
    out = run_script(
        f"from qrkt.cli import main; assert main({argv!r} + ['--workdir', {str(tmp_path)!r}]) == 0"
    )
    assert "(real score " in out
    assert "stopped at its time limit (1e-06 s of training) after 1 steps, in epoch 1 of 2" in out
    (record,) = read_records(tmp_path / "metrics.jsonl")
    for part in ("critic_loss", "real_score", "fake_score", "r1", "generator_loss"):
        assert np.isfinite(record[part]), part
    assert record["r1"] > 0 and "wasserstein" not in record
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["steps"] == 1 and summary["train_config"]["loss"] == "ns-r1"
    assert summary["stopped_by_time_limit"]
    assert (tmp_path / "samples" / "epoch-001.png").exists()
