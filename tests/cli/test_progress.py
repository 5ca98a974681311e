from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from qrkt.cli import main
from qrkt.cli.progress import ProgressBar, running_on


def test_the_device_line_counts_devices_by_kind() -> None:
    gpu = SimpleNamespace(platform="gpu", device_kind="NVIDIA H200")
    cpu = SimpleNamespace(platform="cpu", device_kind="cpu")
    assert running_on([gpu] * 4) == "running on 4 x gpu (NVIDIA H200), data-parallel"
    assert running_on([cpu]) == "running on 1 x cpu"


def test_compilations_are_reported_on_stderr_after_the_device_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cpu = SimpleNamespace(platform="cpu", device_kind="cpu")
    progress = ProgressBar([cpu], lambda record: f"epoch {record['epoch']} done")
    progress.compile_started("the train step")
    progress.compile_finished("the train step", 12.34)
    progress.epoch_started(1, 8, 0)
    progress.step_finished(1, 8)
    progress.epoch_finished({"epoch": 1})
    captured = capsys.readouterr()
    assert captured.out == "running on 1 x cpu\nepoch 1 done\n"
    assert "compiling the train step ...\ncompiled the train step in 12.3 s\n" in captured.err


def test_backends_train_train_gan_and_evaluate_say_which_devices_they_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 20: here, on CPU; on a GPU machine the same lines say gpu. Training is data-parallel
    over every device, a GAN on one, evaluation like training or, with a host backend running
    the circuits, on one device."""
    import jax

    import qrkt.gan
    import qrkt.training

    every = f"{len(jax.devices())} x cpu" + (", data-parallel" if len(jax.devices()) > 1 else "")
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert f"\nJAX devices (jax, tensorcircuit): {len(jax.devices())} x cpu\n" in out

    def first_epoch_then_interrupt(config: object, workdir: Path, **kwargs: Any) -> None:
        kwargs["progress"].epoch_started(1, 64, 0)
        raise KeyboardInterrupt

    monkeypatch.setattr(qrkt.training, "train_and_evaluate", first_epoch_then_interrupt)
    monkeypatch.setattr(qrkt.gan, "train_gan", first_epoch_then_interrupt)
    train = ["train", "--preset", "digits-qrk1", "--workdir", str(tmp_path / "run")]
    assert main(train) == 130
    assert capsys.readouterr().out == f"running on {every}\n"
    assert main(["train-gan", "--preset", "digits-qgan", "--workdir", str(tmp_path / "gan")]) == 130
    assert capsys.readouterr().out == "running on 1 x cpu\n"

    evaluate = ["evaluate", "--pretrained", "digits-qrk1", "--workdir", str(tmp_path), "--limit"]
    assert main([*evaluate, "8"]) == 0
    assert capsys.readouterr().out.startswith(f"running on {every}\n")
    assert main([*evaluate, "4", "--batch-size", "4", "--backend", "reference"]) == 0
    assert capsys.readouterr().out.startswith("running on 1 x cpu; the circuits on reference\n")
