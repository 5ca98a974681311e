"""QRKT-GAN against its classical TransGAN baseline: the same structure, the same recipe and
the same epochs or training time, then the scores of issue 19 against their goals.

Run from the repository root::

    python -m benchmarks.gan                  # the 8x8 digits: digits-qgan, digits-transgan
    python -m benchmarks.gan --epochs 5000 --time-limit 1790    # each trains 30 minutes
    python -m benchmarks.gan --dataset mnist --data-dir ../shared/data/mnist --epochs 100 \
        --time-limit 900
    python -m benchmarks.gan --quick          # 2 generator steps each, 64 samples: for CI

Both runs use :func:`qrkt.gan.train_gan` with ``qrkt train-gan``'s defaults (the options below
override them) on the ``jax`` backend, one after the other. Each generator then draws N images
(1,000 by default), scored by :func:`qrkt.gan.evaluate_gan` against every held-out image in the
features and softmax of a CNN that qrkt trains on the real training images: classifier-based
numbers, never comparable with Inception-based ones. The goals (issue 19), per generator:

- recognisable: at least 80 % of the images have a top class probability of at least 0.9;
- class coverage: every class present, and the entropy of the top classes at least 0.95 of
  ``log C``;
- FID at most 3 times the real-vs-real floor (N training images against the held-out ones);
- the quantum generator trained within 30 minutes.

``train_s`` is the time of the training epochs (checkpoints and sample grids included),
``compile_s`` that of compiling the steps. With ``--workdir``, a finished run found there is
scored again without training.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.recording import name_list, run_record, write_report
from qrkt.gan import GanTrainConfig, evaluate_gan, get_gan_preset, train_gan
from qrkt.gan.classifier import feature_classifier
from qrkt.gan.evaluation import LABEL
from qrkt.gan.images import load_gan_data
from qrkt.gan.losses import LOSSES
from qrkt.gan.training import sample_grid_path
from qrkt.training.workdir import WorkDir

RESULTS = Path(__file__).resolve().parent / "results" / "gan"
RECOGNISABLE, COVERAGE, FID_TO_FLOOR, BUDGET_S = 0.8, 0.95, 3.0, 1800.0
GOALS = (
    f"recognisable >= {RECOGNISABLE:.0%}; class coverage >= {COVERAGE} with every class; FID <= "
    f"{FID_TO_FLOOR:g} x the real-vs-real floor; the quantum generator trained in <= "
    f"{BUDGET_S / 60:.0f} minutes"
)
QUICK_CLASSIFIER_STEPS = 50
SETTINGS = (
    "batch_size",
    "critic_steps",
    "learning_rate",
    "loss",
    "r1_gamma",
    "augment",
    "time_limit",
)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few steps and samples: for CI")
    parser.add_argument("--dataset", default="digits", help="digits, mnist or cifar10 (digits)")
    parser.add_argument("--data-dir", help="the dataset's files (not needed for digits)")
    parser.add_argument("--epochs", type=int, help="epochs per run (default: train-gan's; quick 1)")
    parser.add_argument("--batch-size", type=int, help="(default: train-gan's; quick 8)")
    parser.add_argument("--critic-steps", type=int, help="(default: train-gan's)")
    parser.add_argument("--learning-rate", type=float, help="(default: train-gan's)")
    parser.add_argument("--loss", choices=list(LOSSES), help="(default: train-gan's)")
    parser.add_argument("--r1-gamma", type=float, help="(default: train-gan's)")
    parser.add_argument(
        "--augment", type=name_list, help="DiffAugment policies, comma-separated; '' for none"
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        metavar="S",
        help="train each generator for S seconds at most (compiling not counted; default: its "
        "epochs)",
    )
    parser.add_argument("--samples", type=int, help="images per score (default: 1000; quick 64)")
    parser.add_argument(
        "--out", type=Path, help="results JSON, PNGs beside (default: results/gan/DATASET.json)"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep the runs here (default: a temporary directory)"
    )
    args = parser.parse_args(argv)
    out = args.out or RESULTS / f"{args.dataset}.json"
    recipe = {key: getattr(args, key) for key in SETTINGS if getattr(args, key) is not None}
    if "augment" in recipe:
        recipe["augment"] = tuple(recipe["augment"])
    if args.quick:
        recipe = {"batch_size": 8, **recipe}
    samples = args.samples or (64 if args.quick else None)
    started, clock = datetime.now(UTC), time.perf_counter()
    with tempfile.TemporaryDirectory() as temporary:
        workdir = args.workdir or Path(temporary)
        rows = []
        for kind in ("qgan", "transgan"):
            config = GanTrainConfig(
                preset=f"{args.dataset}-{kind}", data_dir=args.data_dir, **recipe
            )
            config = _sized(config, args.epochs or (1 if args.quick else None), args.quick)
            rows.append(_run(config, workdir, samples, out.parent, args.quick))
    report = {
        **run_record(started, clock),
        "metrics": LABEL,
        "goals": GOALS,
        "rows": rows,
        "all_goals_met": all(all(row["goals_met"].values()) for row in rows),
    }
    print(_table(rows))
    write_report(out, report)
    print(f"\ngoals: {GOALS}; {LABEL}")


def _sized(config: GanTrainConfig, epochs: int | None, quick: bool) -> GanTrainConfig:
    """``config`` with ``epochs`` (if given), and for ``quick`` two generator steps on two
    batches' images and small grids."""
    changes: dict[str, Any] = {} if epochs is None else {"epochs": epochs}
    if quick:
        rows = 2 * config.critic_steps * config.batch_size
        changes |= {"limit": rows, "grid_samples": 16}
    return dataclasses.replace(config, **changes)


def _run(
    config: GanTrainConfig, workdir: Path, samples: int | None, out: Path, quick: bool
) -> dict[str, Any]:
    """Train one preset (unless ``workdir`` holds its finished run), score it, copy its sample
    grids to ``out`` and check its goals."""
    run = workdir / config.preset
    if (run / "summary.json").exists():
        summary = json.loads((run / "summary.json").read_text())
    else:
        summary = train_gan(config, run, resume=WorkDir(run).holds_run()).summary
    clock = time.perf_counter()
    preset = get_gan_preset(config.preset)
    classifier = workdir / f"classifier-{preset.dataset}.ckpt"
    if quick:  # a classifier of a few steps (trained once for both runs): the code, not scores
        feature_classifier(
            load_gan_data(preset.dataset, config.data_dir, preset.model.image_shape),
            classifier,
            steps=QUICK_CLASSIFIER_STEPS,
        )
    evaluation = evaluate_gan(run, samples=samples, classifier=classifier)
    evaluate_s = time.perf_counter() - clock
    out.mkdir(parents=True, exist_ok=True)
    for key, file in evaluation["grids"].items():
        shutil.copyfile(run / file, out / f"{config.preset}-{key.replace('_', '-')}.png")
    for epoch in (1, summary["epochs"]):
        shutil.copyfile(sample_grid_path(run, epoch), out / f"{config.preset}-epoch-{epoch}.png")
    generated, floor = evaluation["generated"], evaluation["real"]
    quantum = summary["generator_qubits"] > 0
    goals = {
        "recognisable": generated["recognisable"] >= RECOGNISABLE,
        "class_coverage": generated["class_coverage"] >= COVERAGE
        and generated["classes_present"] == evaluation["classes"],
        "fid": generated["fid"] <= FID_TO_FLOOR * floor["fid"],
    }
    if quantum:
        goals["budget"] = summary["train_seconds"] <= BUDGET_S
    return {
        "preset": config.preset,
        "description": preset.description,
        "train_config": summary["train_config"],
        "epochs": summary["epochs"],
        "steps": summary["steps"],
        "stopped_by_time_limit": summary.get("stopped_by_time_limit", False),
        "generator_parameters": summary["generator_parameters"],
        "discriminator_parameters": summary["discriminator_parameters"],
        "generator_qubits": summary["generator_qubits"],
        "discriminator_qubits": summary["discriminator_qubits"],
        "max_circuit_qubits": summary["max_circuit_qubits"],
        "train_s": round(summary["train_seconds"], 1),
        "compile_s": round(summary["compile_seconds"], 1),
        "evaluate_s": round(evaluate_s, 1),
        "samples": evaluation["samples"],
        "held_out": evaluation["held_out"],
        "classifier_held_out_accuracy": evaluation["classifier_held_out_accuracy"],
        "held_out_recognisable": evaluation["held_out_recognisable"],
        "generated": generated,
        "floor": floor,
        "ceiling": evaluation["untrained"],
        "fid_to_floor": generated["fid"] / floor["fid"],
        "goals_met": goals,
        "last_epoch": summary["last"],
    }


def _table(rows: list[dict[str, Any]]) -> str:
    header = ("preset", "G params", "qubits", "steps", "train s", "FID (floor, ceiling)",
              "FID/floor", "recognisable", "coverage", "KID", "IS", "goals met")  # fmt: skip
    lines = [header]
    for row in rows:
        score, floor, ceiling = row["generated"], row["floor"], row["ceiling"]
        met = [name for name, ok in row["goals_met"].items() if ok]
        lines.append(
            (
                row["preset"],
                f"{row['generator_parameters']:,}",
                str(row["generator_qubits"] + row["discriminator_qubits"] or "-"),
                str(row["steps"]),
                f"{row['train_s']:.0f}",
                f"{score['fid']:.3f} ({floor['fid']:.3f}, {ceiling['fid']:.3f})",
                f"{row['fid_to_floor']:.2f}",
                f"{score['recognisable']:.1%}",
                f"{score['class_coverage']:.3f} ({score['classes_present']})",
                f"{score['kid']:.4f}",
                f"{score['is']:.2f}",
                f"{len(met)}/{len(row['goals_met'])}: {', '.join(met) or '-'}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines
    )


if __name__ == "__main__":
    main()
