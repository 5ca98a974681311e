"""``qrkt evaluate-gan``: classifier-based FID, KID and IS of a GAN run, on any backend."""

from __future__ import annotations

import argparse
from pathlib import Path

from qrkt.cli.arguments import Commands, workdir
from qrkt.cli.backend_flags import add_backend_arguments, backend_options
from qrkt.tables import format_table


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "evaluate-gan",
        help="classifier-based FID, KID and IS of a GAN run, its generator on any backend",
        description="Score a GAN run's EMA generator against held-out real images with FID, KID "
        "and IS computed on a classifier qrkt trains on the real data (cached; no download). "
        "The real-vs-real floor and the untrained generator's ceiling use the same sample "
        "count. The numbers are classifier-based: never compare them with Inception-based ones.",
    )
    parser.add_argument("--workdir", type=workdir, required=True, help="a GAN run's directory")
    parser.add_argument("--data-dir", help="directory of the dataset's files (default: the run's)")
    parser.add_argument(
        "--samples", type=int, metavar="N", help="images per score (default: all held-out images)"
    )
    parser.add_argument(
        "--classifier",
        type=Path,
        metavar="PATH",
        help="the feature classifier's checkpoint, trained there if absent (default: "
        "WORKDIR/feature_classifier.ckpt)",
    )
    parser.add_argument("--name", help="names the evaluation's files (default: the backend)")
    add_backend_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qrkt.gan import evaluate_gan

    result = evaluate_gan(
        args.workdir,
        backend=args.backend,
        backend_options=backend_options(args),
        samples=args.samples,
        classifier=args.classifier,
        data_dir=args.data_dir,
        name=args.name,
    )
    rows = [("images", "FID", "KID", "IS")]
    for key, label in (
        ("real", "real: train vs held-out (floor)"),
        ("generated", f"generator (EMA, step {result['step']})"),
        ("untrained", "untrained generator (ceiling)"),
    ):
        score = result[key]
        rows.append(
            (
                label,
                f"{score['fid']:.4f}",
                f"{score['kid']:.5f} ± {score['kid_std']:.5f}",
                f"{score['is']:.3f} ± {score['is_std']:.3f}",
            )
        )
    print(format_table(rows))
    print(
        f"\n{result['samples']} images each, against {result['samples']} held-out images; "
        f"{result['metrics']} (its held-out accuracy "
        f"{result['classifier_held_out_accuracy']:.3f}). Wrote evaluation-{result['backend']}"
        f".json and samples-{result['backend']}.png in {args.workdir}"
    )
    return 0
