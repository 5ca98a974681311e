"""``qrkt predict``: classify images (PNG or .npy) with a run's best checkpoint."""

from __future__ import annotations

import argparse
from pathlib import Path

from qrkt.cli.arguments import Commands, add_model_arguments, trained_model
from qrkt.cli.backend_flags import add_backend_arguments, backend_options
from qrkt.tables import format_table


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "predict", help="classify images (PNG or .npy) with a run's best checkpoint"
    )
    add_model_arguments(parser, "classifies with it")
    parser.add_argument(
        "--input",
        type=Path,
        nargs="+",
        required=True,
        metavar="FILE",
        help="PNG images, or .npy arrays of raw pixels in the dataset's range (0..16 for "
        "digits, 0..255 for MNIST and CIFAR-10), (H, W[, C]) or (N, H, W[, C])",
    )
    add_backend_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from qrkt.training.prediction import predict_images

    predictions = predict_images(
        trained_model(args),
        args.input,
        backend=args.backend,
        backend_options=backend_options(args),
    )
    rows = [("input", "class", "probability", "next most probable")]
    for source, probabilities in zip(predictions.sources, predictions.probabilities, strict=True):
        first, second = np.argsort(probabilities)[::-1][:2]
        rows.append(
            (
                source,
                str(first),
                f"{probabilities[first]:.3f}",
                f"{second} ({probabilities[second]:.3f})",
            )
        )
    print(format_table(rows))
    for note in predictions.notes:
        print(f"note: {note}")
    return 0
