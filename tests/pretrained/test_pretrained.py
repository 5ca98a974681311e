import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from qrkt import pretrained
from qrkt.cli import main
from qrkt.data import load_dataset, shipped_validation
from qrkt.errors import CheckpointError, UnknownNameError
from qrkt.presets import get_preset, parameter_count
from qrkt.training import evaluate, predict_images

ROOT = Path(__file__).resolve().parents[2]
REAL_MNIST = ROOT.parent / "shared" / "data" / "mnist"
REQUIRED = {
    "mnist-qrk4-enh",
    "mnist-rk4-enh-x3",
    "mnist-qvit-cara",
    "digits-qrk1",
    "digits-qrk1-4q",
}


def test_every_required_model_is_shipped_with_a_complete_card() -> None:
    cards = {card.name: card for card in pretrained.available()}
    assert set(cards) >= REQUIRED
    for card in cards.values():
        preset = get_preset(card.preset)
        assert card.dataset == preset.dataset
        assert card.parameters == parameter_count(preset.model)
        assert card.qubits == preset.model.qubits
        assert card.command.startswith(f"qrkt train --preset {card.preset} ")
        assert 1 <= card.best_epoch <= card.epochs
        assert set(card.validation) == {"loss", "accuracy", "f1", "auc"}
        assert {"jax", "flax", "numpy", "python"} <= set(card.versions)
        assert set(card.files) == {"best.ckpt", "metrics.jsonl"}


def test_each_model_loads_into_its_preset(tmp_path: Path) -> None:
    for card in pretrained.available():
        model = pretrained.load(card.name, tmp_path / card.name)
        assert model.config.preset == card.preset
        assert model.epoch == card.best_epoch
        assert model.config.data_dir is None  # the training machine's path means nothing here
        assert model.files.path == tmp_path / card.name


def test_a_digits_model_reproduces_its_card_on_the_whole_validation_split(tmp_path: Path) -> None:
    card = pretrained.card("digits-qrk1")
    result = evaluate(pretrained.load(card.name, tmp_path))
    assert result["samples"] == 360
    for metric, value in card.validation.items():
        assert result[metric] == pytest.approx(value, abs=1e-5), metric
    assert (tmp_path / "evaluation-validation-jax.json").is_file()


def test_evaluations_go_to_a_user_directory_outside_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    model = pretrained.load("digits-qrk1-4q")
    assert model.files.path == tmp_path / "qrkt" / "pretrained" / "digits-qrk1-4q"
    result = evaluate(model, limit=16)
    assert Path(result["path"]).parent == model.files.path
    monkeypatch.delenv("XDG_DATA_HOME")
    assert pretrained.default_workdir("x") == Path.home() / ".local/share/qrkt/pretrained/x"


@pytest.fixture
def copied_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "models"
    shutil.copytree(pretrained.models_directory(), copy)
    monkeypatch.setattr(pretrained, "models_directory", lambda: copy)
    return copy


def test_a_damaged_checkpoint_is_refused(copied_models: Path) -> None:
    path = copied_models / "digits-qrk1" / "best.ckpt"
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError) as error:
        pretrained.load("digits-qrk1")
    assert str(error.value) == (
        f"pretrained model 'digits-qrk1' is damaged: {path} does not match the SHA-256 in its "
        "card.json; reinstall qrkt (pip install --force-reinstall --no-deps qrkt) to restore it"
    )


def test_an_edited_checkpoint_header_is_refused(copied_models: Path) -> None:
    # The card's checksum covers the whole file, the JSON header included.
    path = copied_models / "digits-qrk1" / "best.ckpt"
    path.write_bytes(path.read_bytes().replace(b'"ansatz": "qrkt"', b'"ansatz": "cara"', 1))
    with pytest.raises(CheckpointError, match="does not match the SHA-256"):
        pretrained.load("digits-qrk1")


def test_a_missing_file_or_unreadable_card_is_refused(copied_models: Path) -> None:
    (copied_models / "digits-qrk1" / "metrics.jsonl").unlink()
    with pytest.raises(CheckpointError, match=r"damaged: its file .*metrics.jsonl is missing"):
        pretrained.load("digits-qrk1")
    (copied_models / "digits-qrk1-4q" / "card.json").write_text("{")
    with pytest.raises(CheckpointError, match=r"'digits-qrk1-4q' is damaged: its card.json is not"):
        pretrained.card("digits-qrk1-4q")


def test_an_unknown_name_lists_the_shipped_models() -> None:
    with pytest.raises(UnknownNameError, match=r"no pretrained model 'mnist-qrk5'; shipped: .*"):
        pretrained.load("mnist-qrk5")


def test_the_shipped_mnist_validation_split() -> None:
    split = shipped_validation("mnist")
    assert split.inputs.shape == (6_000, 28, 28, 1) and split.inputs.dtype == np.float32
    assert np.array_equal(np.unique(split.labels), np.arange(10))
    assert shipped_validation("digits") is None and shipped_validation("cifar10") is None


@pytest.mark.skipif(not REAL_MNIST.is_dir(), reason=f"no MNIST files at {REAL_MNIST}")
def test_the_shipped_mnist_validation_split_is_the_loaders() -> None:
    validation = load_dataset("mnist", REAL_MNIST).validation
    shipped = shipped_validation("mnist")
    assert np.array_equal(shipped.inputs, validation.inputs)
    assert np.array_equal(shipped.labels, validation.labels)


def test_cli_lists_every_model_with_its_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pretrained"]) == 0
    out = capsys.readouterr().out
    for card in pretrained.available():
        row = next(line for line in out.splitlines() if line.startswith(f"{card.name} "))
        assert f"{card.validation['accuracy']:.1%}" in row
        assert f"{card.validation['auc']:.4f}" in row
        assert f"{card.best_epoch} of {card.epochs}" in row


def test_cli_evaluates_a_pretrained_mnist_model_without_mnist_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    arguments = ["--pretrained", "mnist-qrk4-enh", "--workdir", "out", "--limit", "8"]
    assert main(["evaluate", *arguments, "--batch-size", "8"]) == 0
    out = capsys.readouterr().out
    assert "mnist-qrk4-enh  validation  jax      8 " in out
    assert (tmp_path / "out" / "evaluation-validation-jax.json").is_file()


def test_cli_predict_and_dry_run_take_a_pretrained_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images = tmp_path / "digits.npy"
    np.save(images, np.zeros((2, 8, 8)))
    assert main(["predict", "--pretrained", "digits-qrk1", "--input", str(images)]) == 0
    assert f"{images}[1]" in capsys.readouterr().out
    arguments = ["--pretrained", "digits-qrk1-4q", "--workdir", str(tmp_path), "--limit", "4"]
    assert main(["evaluate", *arguments, "--backend", "reference", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "samples     4 in 1 batch(es) of 4" in out
    assert "dry run: nothing was submitted" in out


def test_cli_needs_a_workdir_or_a_pretrained_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate"]) == 2
    assert (
        "give --workdir DIR (a run of qrkt train) or --pretrained NAME" in capsys.readouterr().err
    )


def test_python_predictions_match_the_cli_model(tmp_path: Path) -> None:
    images = tmp_path / "zeros.npy"
    np.save(images, np.zeros((8, 8)))
    predictions = predict_images(pretrained.load("digits-qrk1", tmp_path), [images])
    assert predictions.probabilities.shape == (1, 10)
    assert predictions.probabilities.sum() == pytest.approx(1, abs=1e-5)


def test_an_installed_wheel_ships_and_evaluates_the_models(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: building writes build/ and *.egg-info beside it
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "qrkt", source / "qrkt", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp_path / "dist", source],
        check=True,
    )
    (wheel,) = (tmp_path / "dist").glob("qrkt-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for card in pretrained.available():
        for file in ("best.ckpt", "card.json", "metrics.jsonl"):
            assert f"qrkt/pretrained/models/{card.name}/{file}" in names
    assert "qrkt/data/mnist-validation.npz" in names
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target, wheel],
        check=True,
    )
    script = (
        "import qrkt, sys; from qrkt.cli import main; "
        f"assert qrkt.__file__.startswith({str(target)!r}), qrkt.__file__; "
        "sys.exit(main(['evaluate', '--pretrained', 'digits-qrk1', '--limit', '20']))"
    )
    environment = {**os.environ, "PYTHONPATH": str(target), "XDG_DATA_HOME": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "digits-qrk1  validation  jax      20 " in run.stdout
    installed = target / "qrkt" / "pretrained" / "models" / "digits-qrk1" / "best.ckpt"
    card = pretrained.card("digits-qrk1")
    assert hashlib.sha256(installed.read_bytes()).hexdigest() == card.files["best.ckpt"]
