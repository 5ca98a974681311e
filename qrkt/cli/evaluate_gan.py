"""``qrkt evaluate-gan``: classifier-based FID, KID and IS of a GAN run, on any backend, and how
many of its images the classifier recognises, over how many classes."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from qrkt.cli.arguments import Commands, workdir
from qrkt.cli.backend_flags import add_backend_arguments, backend_options
from qrkt.tables import format_table


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "evaluate-gan",
        help="classifier-based FID, KID, IS, recognisable share and class coverage of a GAN "
        "run, its generator on any backend",
        description="Score a GAN run's EMA generator against held-out real images with FID, KID "
        "and IS computed on a classifier qrkt trains on the real data (cached; no download), "
        "the share of images that classifier recognises (top class probability >= 0.9) and how "
        "evenly they cover the classes. The real-vs-real floor (training images) and the "
        "untrained generator's ceiling use the same sample count; the ceiling always runs on "
        "the exact jax simulator (it does not depend on the device). Writes "
        "evaluation-NAME.json and three grids: the first 64 samples, and the 64 the classifier "
        "is most and least sure of. The numbers are classifier-based: never compare them with "
        "Inception-based ones.",
    )
    parser.add_argument("--workdir", type=workdir, required=True, help="a GAN run's directory")
    parser.add_argument("--data-dir", help="directory of the dataset's files (default: the run's)")
    parser.add_argument(
        "--samples",
        type=int,
        metavar="N",
        help="images per score, against every held-out image (default: 1000, or the training "
        "images where fewer)",
    )
    parser.add_argument(
        "--classifier",
        type=Path,
        metavar="PATH",
        help="the feature classifier's checkpoint, trained there if absent (default: "
        "WORKDIR/feature_classifier.ckpt)",
    )
    parser.add_argument(
        "--name",
        help="names the evaluation's files (default: the backend, and its --device if given)",
    )
    add_backend_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qrkt.cli.progress import BatchBar
    from qrkt.gan import evaluate_gan
    from qrkt.gan.evaluation import GRID

    bar = BatchBar()
    try:
        result = evaluate_gan(
            args.workdir,
            backend=args.backend,
            backend_options=backend_options(args),
            samples=args.samples,
            classifier=args.classifier,
            data_dir=args.data_dir,
            name=args.name,
            progress=bar,
        )
    finally:
        bar.close()
    print(_table(result))
    count, floor = result["samples"], result["real"]
    if floor["kid"] < 0:
        print(
            "qrkt: warning: the real-vs-real KID is negative "
            f"({_with_spread(floor['kid'], floor['kid_std'])}): with {count} images the unbiased "
            "estimator's noise is larger than the distance it measures; read every KID only to "
            "within its ±, and pass more --samples",
            file=sys.stderr,
        )
    grids, shown = result["grids"], min(GRID, count)
    print(
        f"\n{count} images each, against {result['held_out']} held-out images; "
        f"{result['metrics']} (its held-out accuracy "
        f"{result['classifier_held_out_accuracy']:.3f}); recognisable: top class probability "
        f">= {result['recognisable_threshold']} (true of {result['held_out_recognisable']:.1%} "
        f"of the held-out images, which it never trained on). Wrote evaluation-"
        f"{result['name']}.json, {grids['samples']} (the first {shown} samples), "
        f"{grids['most_sure']} and {grids['least_sure']} (the {shown} the classifier is most "
        f"and least sure of) in {args.workdir}"
    )
    return 0


def _table(result: dict[str, Any]) -> str:
    """The scores of the floor, the generator and the ceiling, a row each."""
    rows = [("images", "FID", "KID", "IS", "recognisable", "class coverage")]
    for key, label in (
        ("real", "real: train vs held-out (floor)"),
        ("generated", f"generator (EMA, step {result['step']}) on {result['backend']}"),
        (
            "untrained",
            f"untrained generator (ceiling, exact {result['untrained_backend']} simulation)",
        ),
    ):
        score = result[key]
        rows.append(
            (
                label,
                f"{score['fid']:.4f}",
                _with_spread(score["kid"], score["kid_std"]),
                _with_spread(score["is"], score["is_std"]),
                f"{score['recognisable']:.1%}",
                f"{score['class_coverage']:.3f} ({score['classes_present']}/{result['classes']} "
                "classes)",
            )
        )
    return format_table(rows)


def _with_spread(mean: float, spread: float) -> str:
    """``mean ± spread``, the spread to 2 significant digits and the mean to the same decimal
    place (5 decimals where the spread is 0)."""
    decimals = max(1 - math.floor(math.log10(spread)), 0) if spread > 0 else 5
    return f"{mean:.{decimals}f} ± {spread:.{decimals}f}"
