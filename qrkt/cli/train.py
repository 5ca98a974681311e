"""``qrkt train``: train a preset with the thesis's recipe; resumable, data-parallel."""

from __future__ import annotations

import argparse
from typing import Any

from qrkt.cli.arguments import Commands, add_run_arguments, add_settings, build_config
from qrkt.tables import format_table


def add_parser(commands: Commands) -> None:
    from qrkt.training import TrainConfig

    parser = commands.add_parser(
        "train",
        help="train a preset; resumable, data-parallel over all devices",
        description="Train a preset with the thesis's recipe (AdamW, clipping 1.0, warm-up + "
        "cosine schedule, batch 64, 65 epochs, best validation AUC kept). Writes checkpoints, "
        "metrics.jsonl, summary.json and plots to --workdir. Several hosts: run the same "
        "command on each, with --coordinator-address, --num-processes and --process-id.",
    )
    add_run_arguments(
        parser, "model preset (qrkt presets lists them)", "dataset name (default: the preset's)"
    )
    add_settings(
        parser,
        TrainConfig,
        ("epochs", int, "passes over the training split"),
        ("batch_size", int, "samples per step, over all devices"),
        ("learning_rate", float, "peak learning rate"),
        ("warmup_steps", int, "linear warm-up steps"),
        ("decay_steps", int, "length of the schedule, warm-up included"),
        ("weight_decay", float, "AdamW weight decay"),
        ("seed", int, "seed of parameters, data order and dropout"),
        ("limit", int, "train on the first N training samples only"),
        ("checkpoint_every", int, "also checkpoint every N steps within an epoch"),
        (
            "time_limit",
            float,
            "stop after X seconds of training (compiling not counted), at the step that passes "
            "it; resumable with a longer limit",
        ),
    )
    distributed = parser.add_argument_group(
        "several hosts (jax.distributed; the same command on each, --workdir on a shared disk)"
    )
    distributed.add_argument(
        "--coordinator-address", metavar="HOST:PORT", help="where process 0 listens"
    )
    distributed.add_argument("--num-processes", type=int, metavar="N", help="processes in all")
    distributed.add_argument(
        "--process-id", type=int, metavar="I", help="this process, 0 to N-1 (0 writes the files)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qrkt.cli.progress import ProgressBar, all_devices, interrupted, say_how_it_ended
    from qrkt.training import TrainConfig, train_and_evaluate
    from qrkt.training.report import THESIS_COLUMNS, thesis_row

    _initialize_distributed(args)
    config = build_config(TrainConfig, args)
    try:
        result = train_and_evaluate(
            config, args.workdir, resume=args.resume, progress=ProgressBar(all_devices(), _line)
        )
    except KeyboardInterrupt:
        return interrupted(args.workdir)
    say_how_it_ended(result.summary, result.already_finished, args.workdir)
    print()
    print(format_table([THESIS_COLUMNS, thesis_row(result.summary)]))
    print(
        f"\nvalidation metrics of the best-AUC epoch; train time: every epoch's training and "
        f"validation, without the {result.summary['compile_seconds']:.1f} s spent compiling; "
        f"checkpoints, metrics.jsonl, summary.json, loss.png and auc.png in {args.workdir}"
    )
    return 0


def _initialize_distributed(args: argparse.Namespace) -> None:
    """Join a run over several hosts where the three flags are given; refuse one or two."""
    from qrkt.errors import TrainingError

    flags = (args.coordinator_address, args.num_processes, args.process_id)
    if all(flag is None for flag in flags):
        return
    if any(flag is None for flag in flags):
        raise TrainingError(
            "a run over several hosts needs all of --coordinator-address, --num-processes and "
            f"--process-id; got {flags[0]!r}, {flags[1]!r} and {flags[2]!r}"
        )
    from qrkt.training import initialize_distributed

    initialize_distributed(*flags)


def _line(record: dict[str, Any]) -> str:
    """An epoch's line under its bar."""
    return (
        f"epoch {record['epoch']}: train loss {record['train_loss']:.4f}, "
        f"accuracy {record['train_accuracy']:.3f}; validation loss "
        f"{record['validation_loss']:.4f}, accuracy "
        f"{record['validation_accuracy']:.3f}, AUC {record['validation_auc']:.4f}; "
        f"{record['samples_per_second']:.0f} samples/s"
    )
