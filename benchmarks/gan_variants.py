"""Variants of a GAN preset, each trained for the same time and scored as it trains: how issue
19's recipe and architecture were chosen.

Run from the repository root::

    python -m benchmarks.gan_variants --preset digits-transgan --seconds 180 --every 60 \\
        --variant base '{}' --variant class-token '{"critic_readout": "class_token"}'
    python -m benchmarks.gan_variants --quick    # two variants, a few seconds each: for CI

A variant is a name and a JSON object of changes to the preset's :class:`~qrkt.gan.GanConfig`
(architecture) and to ``qrkt train-gan``'s :class:`~qrkt.gan.GanTrainConfig` (recipe); every
key must be a field of one of them. Each variant compiles its step, then takes generator steps
for ``--seconds`` of training (scoring not counted), one after the other in this process;
every ``--every`` seconds its EMA generator draws ``--samples`` images (the same latents each
time), scored as ``qrkt evaluate-gan`` scores them (:func:`qrkt.gan.evaluation.scores`) against
every held-out image, with the real-vs-real floor of as many training images. One seed each:
differences smaller than a run's own wobble over its last scores mean nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax
import numpy as np

from benchmarks.gan import QUICK_CLASSIFIER_STEPS
from benchmarks.recording import run_record, write_report
from qrkt.gan import GanConfig, GanTrainConfig, get_gan_preset
from qrkt.gan.classifier import STEPS, FeatureClassifier, feature_classifier
from qrkt.gan.evaluation import LABEL, SAMPLES, scores
from qrkt.gan.images import GanData, load_gan_data
from qrkt.gan.training import gan_steps
from qrkt.training.order import epoch_order, steps_per_epoch, training_batch

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "gan" / "variants.json"
MODEL_FIELDS = {field.name for field in dataclasses.fields(GanConfig)}
TRAIN_FIELDS = {field.name for field in dataclasses.fields(GanTrainConfig)} - {"preset"}
SHOWN = ("fid", "recognisable", "class_coverage")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 variants, seconds each: for CI")
    parser.add_argument("--preset", default="digits-transgan", help="(digits-transgan)")
    parser.add_argument("--data-dir", help="the dataset's files (not needed for digits)")
    parser.add_argument(
        "--variant",
        nargs=2,
        action="append",
        metavar=("NAME", "JSON"),
        help="a variant: its name and its changes as a JSON object (repeatable; default: the "
        "preset as it is)",
    )
    parser.add_argument("--seconds", type=float, help="training time per variant (180; quick 4)")
    parser.add_argument("--every", type=float, help="seconds between scores (60; quick 2)")
    parser.add_argument("--samples", type=int, help=f"images per score ({SAMPLES}; quick 64)")
    parser.add_argument(
        "--classifier",
        type=Path,
        metavar="PATH",
        help="the feature classifier's checkpoint, trained there if absent (default: trained "
        "afresh in a temporary directory)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON")
    args = parser.parse_args(argv)
    quick = args.quick
    variants = args.variant or (
        [["base", "{}"], ["class-token", '{"critic_readout": "class_token"}']]
        if quick
        else [["base", "{}"]]
    )
    seconds = args.seconds or (4.0 if quick else 180.0)
    every = args.every or (2.0 if quick else 60.0)
    samples = args.samples or (64 if quick else SAMPLES)
    preset = get_gan_preset(args.preset)
    data = load_gan_data(preset.dataset, args.data_dir, preset.model.image_shape)
    with tempfile.TemporaryDirectory() as temporary:
        classifier = feature_classifier(
            data,
            args.classifier or Path(temporary) / "cnn.ckpt",
            steps=QUICK_CLASSIFIER_STEPS if quick else STEPS,
        )
    reference, _ = classifier(data.held_out)
    floor = scores(*classifier(data.train[:samples]), reference)
    started, clock = datetime.now(UTC), time.perf_counter()
    print(f"floor (real): {_shown(floor)}", flush=True)
    rows = []
    for name, text in variants:
        changes = json.loads(text)
        model, config = _variant(args.preset, name, changes, args.data_dir)
        row = _train(name, model, config, data, classifier, reference, seconds, every, samples)
        rows.append({"variant": name, "changes": changes, **row})
    report = {
        **run_record(started, clock),
        "metrics": LABEL,
        "preset": args.preset,
        "seconds": seconds,
        "every": every,
        "samples": samples,
        "floor": floor,
        "variants": rows,
    }
    write_report(args.out, report)


def _variant(
    preset: str, name: str, changes: dict[str, Any], data_dir: str | None
) -> tuple[GanConfig, GanTrainConfig]:
    """The preset's model and ``qrkt train-gan``'s settings, with the variant's ``changes``."""
    unknown = set(changes) - MODEL_FIELDS - TRAIN_FIELDS
    if unknown:
        raise SystemExit(
            f"variant {name!r} changes {', '.join(sorted(unknown))}, which is no field of "
            f"GanConfig or GanTrainConfig; use fields such as {', '.join(sorted(MODEL_FIELDS))}"
        )
    named = get_gan_preset(preset)
    architecture = {k: v for k, v in changes.items() if k in MODEL_FIELDS}
    model = GanConfig.from_dict({**named.model.to_dict(), **architecture})
    train = {k: v for k, v in changes.items() if k in TRAIN_FIELDS}
    if "augment" in train:
        train["augment"] = tuple(train["augment"])
    return model, GanTrainConfig(preset=preset, dataset=named.dataset, data_dir=data_dir, **train)


def _train(
    name: str,
    model: GanConfig,
    config: GanTrainConfig,
    data: GanData,
    classifier: FeatureClassifier,
    reference: np.ndarray,
    seconds: float,
    every: float,
    samples: int,
) -> dict[str, Any]:
    """Train one variant for ``seconds``, scoring its EMA generator every ``every`` seconds."""
    rows = config.critic_steps * config.batch_size
    epoch_steps = steps_per_epoch(len(data.train), rows)
    steps = gan_steps(model, config, 10**9)  # constant learning rates: the total is unused
    latents = jax.random.normal(jax.random.PRNGKey(config.seed + 1), (samples, model.latent))
    state, step, trained, trajectory = steps.init(), 0, 0.0, []
    while trained < seconds:
        clock = time.perf_counter()
        deadline = min(every * (len(trajectory) + 1), seconds)
        while trained + time.perf_counter() - clock < deadline:
            order = epoch_order(config.seed, step // epoch_steps, len(data.train))
            real = data.train[training_batch(order, step % epoch_steps, rows)]
            state, _ = steps.train(state, real.reshape(config.critic_steps, -1, *real.shape[1:]))
            jax.block_until_ready(state)  # the clock counts steps taken, not steps dispatched
            step += 1
        trained += time.perf_counter() - clock
        images = np.asarray(steps.generate(state.ema, latents))
        score = scores(*classifier(images), reference)
        trajectory.append({"seconds": round(trained, 1), "step": step, **score})
        print(f"{name} at {trained:.0f} s, step {step}: {_shown(score)}", flush=True)
    return {
        "compile_s": round(steps.compile_seconds, 1),
        "steps_per_s": round(step / trained, 2),
        "trajectory": trajectory,
    }


def _shown(score: dict[str, float]) -> str:
    return ", ".join(f"{key} {score[key]:.3f}" for key in SHOWN)


if __name__ == "__main__":
    main()
