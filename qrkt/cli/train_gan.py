"""``qrkt train-gan``: train a GAN preset (QRKT-GAN or TransGAN); resumable."""

from __future__ import annotations

import argparse
from functools import partial
from typing import TYPE_CHECKING, Any

from qrkt.cli.arguments import Commands, add_run_arguments, add_settings, build_config

if TYPE_CHECKING:
    from qrkt.gan import GanTrainConfig


def add_parser(commands: Commands) -> None:
    from qrkt.gan import GAN_PRESETS, GanTrainConfig
    from qrkt.gan.losses import LOSSES

    parser = commands.add_parser(
        "train-gan",
        help="train a GAN preset (QRKT-GAN or TransGAN); resumable",
        description="Train a GAN preset: by default the non-saturating loss with an R1 penalty, "
        "Adam 5e-4 with betas (0, 0.99), 1 critic step per generator step, DiffAugment's "
        "translation, an "
        "EMA of the generator (the recipe benchmarks/gan_variants.py measured best on the 8x8 "
        "digits); "
        "REFERENCE §5's is --loss wgan-gp-eps --learning-rate 1e-4 --critic-steps 5 --augment "
        "color,translation,cutout. Writes checkpoints, metrics.jsonl, summary.json and a sample "
        "grid per epoch (samples/) to --workdir.",
    )
    add_run_arguments(
        parser,
        f"GAN preset: {', '.join(GAN_PRESETS)} (qrkt describe NAME describes one)",
        "dataset name: digits, mnist, cifar10 (default: the preset's)",
    )
    add_settings(
        parser,
        GanTrainConfig,
        ("epochs", int, "passes of the critic over the training split"),
        ("batch_size", int, "images per batch"),
        (
            "learning_rate",
            float,
            "Adam's learning rate, both networks (REFERENCE §5: 1e-4)",
        ),
        ("critic_steps", int, "critic updates per generator update"),
        ("ema_decay", float, "decay of the generator's EMA"),
        ("seed", int, "seed of parameters, data order, latents and augmentation"),
        ("limit", int, "train on the first N training images only"),
        ("checkpoint_every", int, "also checkpoint every N generator steps"),
        (
            "time_limit",
            float,
            "stop after X seconds of training (compiling not counted), at the step that passes "
            "it; resumable with a longer limit",
        ),
        ("grid_samples", int, "images in each epoch's sample grid"),
        (
            "r1_gamma",
            float,
            "ns-r1's R1 weight: gamma in (gamma/2) E[||grad D(x)||^2] on the real images",
        ),
    )
    parser.add_argument(
        "--loss",
        choices=list(LOSSES),
        help="ns-r1: non-saturating logistic loss with an R1 penalty on the real images (the "
        "default); wgan-gp-eps: REFERENCE §5's WGAN-GP-eps",
    )
    parser.add_argument(
        "--decay",
        action="store_true",
        default=None,
        help="decay the learning rates linearly to 0 over the run (default: constant)",
    )
    parser.add_argument(
        "--augment",
        type=_policies,
        help="comma-separated DiffAugment policies, in order: color, translation, cutout "
        "(default: translation; '' for none; REFERENCE §5: all three)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qrkt.cli.progress import ProgressBar, all_devices, interrupted, say_how_it_ended
    from qrkt.gan import GanTrainConfig, train_gan

    config = build_config(GanTrainConfig, args)
    try:
        result = train_gan(
            config,
            args.workdir,
            resume=args.resume,
            progress=ProgressBar(all_devices()[:1], partial(_line, config)),  # one device
        )
    except KeyboardInterrupt:
        return interrupted(args.workdir)
    say_how_it_ended(result.summary, result.already_finished, args.workdir)
    summary = result.summary
    print(
        f"\n{summary['steps']} generator steps in {summary['train_seconds']:.0f} s; generator "
        f"{summary['generator_parameters']:,} parameters, discriminator "
        f"{summary['discriminator_parameters']:,}; checkpoints, metrics.jsonl, summary.json and "
        f"samples/ in {args.workdir}; score it with qrkt evaluate-gan --workdir {args.workdir}"
    )
    return 0


def _policies(text: str) -> tuple[str, ...]:
    """``--augment``: the comma-separated policies, in order."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _line(config: GanTrainConfig, record: dict[str, Any]) -> str:
    """An epoch's line under its bar."""
    from qrkt.gan.training import epoch_line

    return f"{epoch_line(config, record)}; {record['epoch_seconds']:.1f} s"
