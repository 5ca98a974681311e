import json
import re
from pathlib import Path

import jax
import numpy as np
import pytest

from qrkt.cli import main
from qrkt.errors import CheckpointError, TrainingError
from qrkt.gan import GanTrainConfig, evaluate_gan, get_gan_preset, train_gan
from qrkt.training import load_checkpoint, save_checkpoint
from qrkt.training.report import read_records
from tests.gan.helpers import CLASSICAL_RUNS, QUANTUM_RUN, SETTINGS
from tests.training.recording import Recording
from tests.training.subprocesses import finish, start_script

TIMINGS = {"epoch_seconds", "compile_seconds", "train_seconds"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Both scripts, run side by side: the classical runs and the quantum one."""
    classical, quantum = tmp_path_factory.mktemp("classical"), tmp_path_factory.mktemp("quantum")
    processes = (
        start_script(CLASSICAL_RUNS.format(settings=SETTINGS), classical),
        start_script(QUANTUM_RUN, quantum),
    )
    try:
        finish(processes[0])
        # In this process: the feature classifier's convolutions are slow at XLA's -O0.
        evaluate = ["evaluate-gan", "--workdir", str(classical / "straight"), "--samples", "40"]
        assert main([*evaluate, "--classifier", str(classical / "classifier.ckpt")]) == 0
        return {"classical": classical, "quantum": quantum, "quantum_out": finish(processes[1])}
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()


def _without_timings(record: dict) -> dict:
    return {key: value for key, value in record.items() if key not in TIMINGS}


def _leaves(workdir: Path) -> list[np.ndarray]:
    return jax.tree_util.tree_leaves(load_checkpoint(workdir / "checkpoints" / "last.ckpt").state)


def test_a_killed_run_resumes_to_the_same_weights_and_metrics(runs: dict) -> None:
    straight = runs["classical"] / "straight"
    expected = [_without_timings(r) for r in read_records(straight / "metrics.jsonl")]
    assert [r["step"] for r in expected] == [4, 8]
    for crash in (2, 7):
        resumed = runs["classical"] / f"crash-{crash}"
        got = [_without_timings(r) for r in read_records(resumed / "metrics.jsonl")]
        assert got == expected
        for got, want in zip(_leaves(resumed), _leaves(straight), strict=True):
            np.testing.assert_array_equal(got, want)  # bit for bit


def test_the_step_counters_advance_the_critic_ratio_and_the_decay(runs: dict) -> None:
    checkpoint = load_checkpoint(runs["classical"] / "straight" / "checkpoints" / "last.ckpt")
    assert checkpoint.metadata["step"] == 8
    for name, updates in (("generator_opt", 8), ("discriminator_opt", 16)):
        counts = {int(leaf) for leaf in jax.tree_util.tree_leaves(checkpoint.state[name])
                  if np.ndim(leaf) == 0}  # fmt: skip
        assert counts == {updates}, name
    records = read_records(runs["classical"] / "straight" / "metrics.jsonl")
    assert [r["generator_learning_rate"] for r in records] == pytest.approx([2.5e-4, 0.0])
    # The EMA starts by following the weights and slows down: (1 + t) / (10 + t).
    assert [r["ema_decay"] for r in records] == pytest.approx([4 / 13, 8 / 17])
    ema, generator = checkpoint.state["ema"], checkpoint.state["generator"]
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(*map(jax.tree_util.tree_leaves, (ema, generator)), strict=True)
    )


def test_a_run_writes_its_files_and_an_evaluation(runs: dict) -> None:
    straight = runs["classical"] / "straight"
    assert (straight / "samples" / "epoch-001.png").exists()
    assert (straight / "samples" / "epoch-002.png").exists()
    summary = json.loads((straight / "summary.json").read_text())
    assert summary["steps"] == 8 and summary["generator_parameters"] == 5849
    evaluation = json.loads((straight / "evaluation-jax.json").read_text())
    assert evaluation["samples"] == 40 and "classifier-based" in evaluation["metrics"]
    assert (straight / "samples-jax.png").exists()
    assert evaluation["classifier_held_out_accuracy"] > 0.9
    # 8 steps train nothing: the generator is as far from the data as the untrained one, and
    # both are far from the real-vs-real floor.
    for key in ("generated", "untrained"):
        assert evaluation[key]["fid"] > 3 * evaluation["real"]["fid"]
        assert evaluation[key]["kid"] > evaluation["real"]["kid"]
    assert evaluation["real"]["is"] > evaluation["untrained"]["is"]
    # Issue 19: the classifier recognises the real images, of every class; 40 images are fewer
    # than KID's subset size, yet its spread is not 0; the ceiling is the exact simulator's.
    assert evaluation["real"]["recognisable"] > 0.9 and evaluation["real"]["classes_present"] == 10
    # Trained with outlier exposure, the classifier recognises no untrained generator's noise
    # (a plainly trained one rated 31-38 % of it recognisable).
    assert evaluation["untrained"]["recognisable"] < 0.1
    assert evaluation["held_out"] == 360 and evaluation["held_out_recognisable"] > 0.9
    for key in ("real", "generated", "untrained"):
        assert evaluation[key]["kid_std"] > 0
        assert 0 <= evaluation[key]["class_coverage"] <= 1
    assert evaluation["untrained_backend"] == "jax"
    for file in ("samples-jax-most-sure.png", "samples-jax-least-sure.png"):
        assert (straight / file).exists()


class Stages:
    """Records what :func:`evaluate_gan` reports: stages, and batches as ``(done, total)``."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def stage(self, text: str) -> None:
        self.events.append(text)

    def __call__(self, done: int, total: int) -> None:
        self.events.append((done, total))


def _tiles(path: Path, count: int, side: int = 8, scale: int = 4) -> np.ndarray:
    """The ``count`` images ``(side, side)`` in ``[-1, 1]`` of a grid of gray images."""
    from matplotlib.image import imread

    grid = imread(path)[::scale, ::scale, 0]
    corners = [(1 + (i // 8) * (side + 1), 1 + (i % 8) * (side + 1)) for i in range(count)]
    return np.stack([grid[r : r + side, c : c + side] * 2 - 1 for r, c in corners])


def test_an_evaluation_is_named_by_device_ceiling_on_jax_with_stages_and_surest_grids(
    runs: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19: files named as qrkt evaluate names them (the backend and its device); the
    untrained generator sampled on the exact jax simulator whatever the backend; each stage, its
    compile time (issue 17) and batch reported; grids of the samples the classifier is most and
    least sure of."""
    from qrkt.gan import evaluation, generate
    from qrkt.gan.classifier import feature_classifier
    from qrkt.gan.images import load_gan_data

    calls = []

    def recorded(model: object, params: object, latents: np.ndarray, **kwargs: object):
        images = generate(model, params, latents, **kwargs)
        calls.append((kwargs["backend"], kwargs.get("backend_options", ()), images))
        return images

    monkeypatch.setattr(evaluation, "generate", recorded)
    straight, classifier = runs["classical"] / "straight", runs["classical"] / "classifier.ckpt"
    progress, options = Stages(), (("device", "fake"),)
    result = evaluate_gan(
        straight,
        backend="reference",
        backend_options=options,
        samples=12,
        classifier=classifier,
        progress=progress,
    )
    assert [call[:2] for call in calls] == [("reference", options), ("jax", ())]
    assert result["untrained_backend"] == "jax" and result["name"] == "reference-fake"
    compiled = re.compile(r"compiled the generator in \d+\.\d s")
    assert [
        "compiled" if isinstance(event, str) and compiled.fullmatch(event) else event
        for event in progress.events
    ] == [
        f"loading the feature classifier {classifier}",
        "generating 12 samples on reference",
        "compiled",
        (0, 1),
        (1, 1),
        "generating 12 samples of the untrained generator (the ceiling) on jax, exactly",
        "compiled",
        (0, 1),
        (1, 1),
        "scoring",
    ]
    grids = {
        "samples": "samples-reference-fake.png",
        "most_sure": "samples-reference-fake-most-sure.png",
        "least_sure": "samples-reference-fake-least-sure.png",
    }
    assert result["grids"] == grids
    assert json.loads((straight / "evaluation-reference-fake.json").read_text()) == result
    generated = calls[0][2]
    trained = evaluation.load_generator(straight)
    config = trained.train_config
    data = load_gan_data(config.dataset, config.data_dir, trained.model.image_shape)
    sureness = feature_classifier(data, classifier)(generated)[1].max(axis=1)
    most, least = (_tiles(straight / grids[key], 12) for key in ("most_sure", "least_sure"))
    # Each tile is one generated sample, to the 8 bits of the PNG and its gray colour map.
    distances = np.abs(most[:, None] - generated[None, ..., 0]).max(axis=(2, 3))
    order = distances.argmin(axis=1)
    assert distances.min(axis=1).max() < 0.02 and sorted(order) == list(range(12))
    assert np.all(np.diff(sureness[order]) <= 0)
    np.testing.assert_array_equal(least, most[::-1])


def test_the_quantum_gan_trains_and_samples_through_a_host_backend(runs: dict) -> None:
    difference, largest = map(float, runs["quantum_out"].split())
    assert difference < 1e-4 and largest > 0.01
    assert (runs["quantum"] / "samples" / "epoch-001.png").exists()
    summary = json.loads((runs["quantum"] / "summary.json").read_text())
    assert summary["max_circuit_qubits"] == 8 and summary["generator_qubits"] == 240


def _fake_run(workdir: Path, preset: str = "digits-transgan", **settings: object) -> None:
    config = GanTrainConfig(preset=preset, dataset="digits", **settings)
    metadata = {
        "preset": preset,
        "model": get_gan_preset(preset).model.to_dict(),
        "train_config": config.to_dict(),
    }
    save_checkpoint(workdir / "checkpoints" / "last.ckpt", {}, metadata)


def test_an_existing_run_is_not_overwritten(tmp_path: Path) -> None:
    _fake_run(tmp_path)
    with pytest.raises(TrainingError, match="already holds a run; pass --resume"):
        train_gan(GanTrainConfig(preset="digits-transgan"), tmp_path)


def test_resuming_into_another_preset_or_settings_is_refused(tmp_path: Path) -> None:
    _fake_run(tmp_path, preset="digits-qgan")
    with pytest.raises(CheckpointError, match="holds preset 'digits-qgan' and cannot load into"):
        train_gan(GanTrainConfig(preset="digits-transgan"), tmp_path, resume=True)
    _fake_run(tmp_path, critic_steps=3)
    with pytest.raises(TrainingError, match="critic_steps: 3 vs 1 \\(stored vs requested\\)"):
        train_gan(GanTrainConfig(preset="digits-transgan"), tmp_path, resume=True)


def test_settings_are_checked() -> None:
    with pytest.raises(
        TrainingError, match=r"ema_decay \(--ema-decay\) must be in \[0, 1\), got 1.0"
    ):
        GanTrainConfig(preset="digits-qgan", ema_decay=1.0)
    with pytest.raises(
        TrainingError, match=r"critic_steps \(--critic-steps\) must be an integer >= 1, got 0"
    ):
        GanTrainConfig(preset="digits-qgan", critic_steps=0)
    with pytest.raises(KeyError, match="unknown augmentation 'flip'"):
        GanTrainConfig(preset="digits-qgan", augment=("flip",))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"seed": -1}, "seed (--seed) must be an integer >= 0, got -1"),
        (
            {"seed": 2**32},
            "seed (--seed) must be an integer from 0 to 4294967295, got 4294967296",
        ),
        (
            {"epochs": 10**20},
            "epochs (--epochs) must be an integer from 1 to 1000000, got 100000000000000000000",
        ),
        (
            {"learning_rate": float("inf")},
            "learning_rate (--learning-rate) must be a finite number, got inf",
        ),
        ({"ema_decay": float("nan")}, "ema_decay (--ema-decay) must be a finite number, got nan"),
        (
            {"time_limit": -5},
            "time_limit (--time-limit) must be > 0 seconds of training, got -5; leave it out to "
            "train every epoch",
        ),
    ],
)
def test_out_of_range_and_non_finite_settings_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(TrainingError) as error:
        GanTrainConfig(preset="digits-qgan", **settings)
    assert str(error.value) == message


def test_a_split_smaller_than_a_generator_step_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="2 critic batches of 8 = 16 images, more than the 10"):
        train_gan(
            GanTrainConfig(preset="digits-transgan", batch_size=8, critic_steps=2, limit=10),
            tmp_path,
        )


def test_evaluating_a_directory_without_a_gan_run_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"no GAN run in .*; train one first with qrkt"):
        evaluate_gan(tmp_path)
    message = r"samples \(--samples\) must be an integer >= 2, got 1"
    with pytest.raises(TrainingError, match=message):
        evaluate_gan(tmp_path, samples=1)
    message = r"seed must be an integer from 0 to 4294967295, got 4294967296"
    with pytest.raises(TrainingError, match=message):
        evaluate_gan(tmp_path, seed=2**32)
    save_checkpoint(tmp_path / "checkpoints" / "last.ckpt", {}, {"preset": "digits-qrk1"})
    with pytest.raises(CheckpointError, match="holds a run of 'digits-qrk1', not of a GAN preset"):
        evaluate_gan(tmp_path)


def test_resuming_nothing_or_into_a_file_is_refused(tmp_path: Path) -> None:
    """Issue 18: --resume on an empty work directory started a new run; a workdir that is a
    file failed with an OSError after compiling."""
    with pytest.raises(TrainingError, match=r"holds no run to resume .*; drop --resume"):
        train_gan(GanTrainConfig(preset="digits-transgan"), tmp_path, resume=True)
    (tmp_path / "file").write_text("")
    with pytest.raises(TrainingError) as error:
        train_gan(GanTrainConfig(preset="digits-transgan"), tmp_path / "file")
    assert str(error.value) == (
        f"work directory {tmp_path / 'file'} is a file, not a directory; choose another --workdir"
    )


def test_a_loss_that_becomes_nan_stops_the_run_and_a_finished_run_has_nothing_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18, item 5: a NaN loss at step 3 stops the run; the checkpoint of step 2 is kept.
    Then the run, finished, resumes to its summary without compiling."""
    import dataclasses

    from qrkt.gan import training

    config = GanTrainConfig(**{**SETTINGS, "epochs": 1, "checkpoint_every": 1})
    build = training.gan_steps

    def nan_at_step_3(*args):
        compiled = build(*args)

        def train(state, real):
            state, metrics = compiled.train(state, real)
            nan = np.where(int(state.step) == 3, np.nan, 1)
            return state, {**metrics, "generator_loss": metrics["generator_loss"] * nan}

        return dataclasses.replace(compiled, train=train)

    monkeypatch.setattr(training, "gan_steps", nan_at_step_3)
    with pytest.raises(TrainingError) as error:
        train_gan(config, tmp_path / "nan")
    last = tmp_path / "nan" / "checkpoints" / "last.ckpt"
    assert str(error.value) == (
        "training stopped at epoch 1, step 3: the losses became NaN or infinite; the last good "
        f"checkpoint, {last}, is kept and metrics.jsonl holds only finite records; lower "
        "--learning-rate (or check the data for NaN) and start a new run in another --workdir"
    )
    assert load_checkpoint(last).metadata["step"] == 2
    monkeypatch.undo()
    progress = Recording()
    first = train_gan(config, tmp_path / "run", progress=progress)
    assert [event[:2] for event in progress.compiling()] == [
        ("compile_started", "the GAN's steps"),
        ("compile_finished", "the GAN's steps"),
    ]
    assert "history" not in load_checkpoint(tmp_path / "run" / "checkpoints" / "last.ckpt").metadata
    monkeypatch.setattr(training, "gan_steps", None)  # calling it would fail
    again = train_gan(config, tmp_path / "run", resume=True)
    assert again.already_finished and again.history == first.history
    assert again.summary == json.loads(json.dumps(first.summary))
