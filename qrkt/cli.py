"""The ``qrkt`` command: a thin layer of argparse over library functions."""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from qrkt.errors import QrktError
from qrkt.tables import format_table


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    from qrkt.backends.bridge import host_errors

    try:
        with host_errors():  # a host backend's own error, not JAX's wrapper of it
            return args.command(args)
    except QrktError as error:
        print(f"qrkt: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader left early (qrkt presets | head): not an error here
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    from qrkt.circuits.ansatz import ANSATZE

    parser = argparse.ArgumentParser(prog="qrkt", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    backends = commands.add_parser(
        "backends", help="list backends: installed or not, and what each can do"
    )
    backends.set_defaults(command=_backends)

    circuit = commands.add_parser("circuit", help="build an ansatz, draw it and export it")
    _add_ansatz_arguments(circuit, ANSATZE)
    circuit.add_argument(
        "--format",
        choices=("text", "json", "qasm3"),
        default="text",
        help="what to print or write (default: text)",
    )
    circuit.add_argument(
        "--output", type=Path, help="write the export to this file instead of printing it"
    )
    circuit.set_defaults(command=_circuit)

    demo = commands.add_parser(
        "demo", help="run one circuit on every installed backend and compare values and gradients"
    )
    _add_ansatz_arguments(demo, ANSATZE, default_qubits=4)
    demo.add_argument("--batch", type=int, default=4, help="samples (default: 4)")
    demo.add_argument(
        "--seed", type=int, default=0, help="seed of the inputs and weights (default: 0)"
    )
    demo.add_argument(
        "--backends", help="comma-separated backend names (default: every installed one)"
    )
    demo.set_defaults(command=_demo)

    presets = commands.add_parser("presets", help="list the model presets, GANs included")
    presets.set_defaults(command=_presets)

    describe = commands.add_parser(
        "describe", help="a preset's blocks, parameters, qubits and circuits"
    )
    describe.add_argument("preset", help="preset name (qrkt presets lists them)")
    describe.set_defaults(command=_describe)

    pretrained = commands.add_parser(
        "pretrained", help="list the pretrained models shipped with qrkt, with their metrics"
    )
    pretrained.set_defaults(command=_pretrained)

    _add_train_parser(commands)
    _add_evaluate_parser(commands)
    _add_gan_parsers(commands)
    return parser


def _add_train_parser(commands: Any) -> None:
    from qrkt.training import TrainConfig

    defaults = {field.name: field.default for field in dataclasses.fields(TrainConfig)}
    train = commands.add_parser(
        "train",
        help="train a preset; resumable, data-parallel over all devices",
        description="Train a preset with the thesis's recipe (AdamW, clipping 1.0, warm-up + "
        "cosine schedule, batch 64, 65 epochs, best validation AUC kept). Writes checkpoints, "
        "metrics.jsonl, summary.json and plots to --workdir. Several hosts: run the same "
        "command on each, with --coordinator-address, --num-processes and --process-id.",
    )
    _add_run_arguments(
        train, "model preset (qrkt presets lists them)", "dataset name (default: the preset's)"
    )
    _add_settings(
        train,
        defaults,
        ("epochs", int, "passes over the training split"),
        ("batch_size", int, "samples per step, over all devices"),
        ("learning_rate", float, "peak learning rate"),
        ("warmup_steps", int, "linear warm-up steps"),
        ("decay_steps", int, "length of the schedule, warm-up included"),
        ("weight_decay", float, "AdamW weight decay"),
        ("seed", int, "seed of parameters, data order and dropout"),
        ("limit", int, "train on the first N training samples only"),
        ("checkpoint_every", int, "also checkpoint every N steps within an epoch"),
    )
    distributed = train.add_argument_group(
        "several hosts (jax.distributed; the same command on each, --workdir on a shared disk)"
    )
    distributed.add_argument(
        "--coordinator-address", metavar="HOST:PORT", help="where process 0 listens"
    )
    distributed.add_argument("--num-processes", type=int, metavar="N", help="processes in all")
    distributed.add_argument(
        "--process-id", type=int, metavar="I", help="this process, 0 to N-1 (0 writes the files)"
    )
    train.set_defaults(command=_train)


def _add_gan_parsers(commands: Any) -> None:
    from qrkt.gan import GAN_PRESETS, GanTrainConfig

    defaults = {field.name: field.default for field in dataclasses.fields(GanTrainConfig)}
    train = commands.add_parser(
        "train-gan",
        help="train a GAN preset (QRKT-GAN or TransGAN); resumable",
        description="Train a GAN preset with REFERENCE §5's recipe: WGAN-GP-eps loss, Adam 1e-4 "
        "with betas (0, 0.99), several critic steps per generator step, DiffAugment, an EMA of "
        "the generator. Writes checkpoints, metrics.jsonl, summary.json and a sample grid per "
        "epoch (samples/) to --workdir.",
    )
    _add_run_arguments(
        train,
        f"GAN preset: {', '.join(GAN_PRESETS)} (qrkt describe NAME describes one)",
        "dataset name: digits, mnist, cifar10 (default: the preset's)",
    )
    _add_settings(
        train,
        defaults,
        ("epochs", int, "passes of the critic over the training split"),
        ("batch_size", int, "images per batch"),
        (
            "learning_rate",
            float,
            "Adam's learning rate, both networks (benchmarks/gan.py uses 1e-3 on digits)",
        ),
        ("critic_steps", int, "critic updates per generator update"),
        ("ema_decay", float, "decay of the generator's EMA"),
        ("seed", int, "seed of parameters, data order, latents and augmentation"),
        ("limit", int, "train on the first N training images only"),
        ("checkpoint_every", int, "also checkpoint every N generator steps"),
        ("grid_samples", int, "images in each epoch's sample grid"),
    )
    train.add_argument(
        "--decay",
        action="store_true",
        default=None,
        help="decay the learning rates linearly to 0 over the run (default: constant)",
    )
    train.add_argument(
        "--augment",
        help="comma-separated DiffAugment policies, in order (default: color,translation,cutout)",
    )
    train.set_defaults(command=_train_gan)

    evaluate = commands.add_parser(
        "evaluate-gan",
        help="classifier-based FID, KID and IS of a GAN run, its generator on any backend",
        description="Score a GAN run's EMA generator against held-out real images with FID, KID "
        "and IS computed on a classifier qrkt trains on the real data (cached; no download). "
        "The real-vs-real floor and the untrained generator's ceiling use the same sample "
        "count. The numbers are classifier-based: never compare them with Inception-based ones.",
    )
    evaluate.add_argument("--workdir", type=_workdir, required=True, help="a GAN run's directory")
    evaluate.add_argument(
        "--data-dir", help="directory of the dataset's files (default: the run's)"
    )
    evaluate.add_argument(
        "--samples", type=int, metavar="N", help="images per score (default: all held-out images)"
    )
    evaluate.add_argument(
        "--classifier",
        type=Path,
        metavar="PATH",
        help="the feature classifier's checkpoint, trained there if absent (default: "
        "WORKDIR/feature_classifier.ckpt)",
    )
    evaluate.add_argument("--name", help="names the evaluation's files (default: the backend)")
    _add_backend_arguments(evaluate)
    evaluate.set_defaults(command=_evaluate_gan)


def _add_run_arguments(parser: argparse.ArgumentParser, preset: str, dataset: str) -> None:
    """What a training command needs: the preset, data, backend and work directory."""
    parser.add_argument("--preset", required=True, help=preset)
    parser.add_argument("--dataset", help=dataset)
    parser.add_argument("--data-dir", help="directory of the dataset's files (not for digits)")
    parser.add_argument("--backend", default="jax", help="backend of the circuits (default: jax)")
    parser.add_argument("--workdir", type=_workdir, required=True, help="the run's directory")
    parser.add_argument("--resume", action="store_true", help="continue the run in --workdir")


def _add_settings(
    parser: argparse.ArgumentParser, defaults: dict[str, Any], *settings: tuple[str, type, str]
) -> None:
    """An optional ``--flag-name`` for each ``(field, type, what)``, its default in the help."""
    for flag, kind, what in settings:
        default = f"default: {defaults[flag]}" if defaults[flag] is not None else "default: off"
        parser.add_argument(
            f"--{flag.replace('_', '-')}",
            type=kind,
            metavar="N" if kind is int else "X",
            help=f"{what} ({default})",
        )


def _add_evaluate_parser(commands: Any) -> None:
    evaluate = commands.add_parser(
        "evaluate",
        help="evaluate a run's best checkpoint, on any backend (a quantum device too)",
        description="Evaluate a run's best checkpoint. On a host backend (qiskit_aer, cirq, tfq, "
        "ibm_runtime) each quantum-layer call of a batch is one job; finished calls and batches "
        "are kept in the work directory (continue an interrupted run with --resume), and a "
        "parity report compares the backend with the exact simulator layer by layer.",
    )
    _add_model_arguments(evaluate, "evaluates it and writes the evaluation's files")
    evaluate.add_argument(
        "--data-dir",
        help="directory of the dataset's files (default: the run's; for a pretrained MNIST model, "
        "the validation split shipped with qrkt)",
    )
    evaluate.add_argument(
        "--split",
        choices=("validation", "test"),
        default="validation",
        help="(default: validation)",
    )
    evaluate.add_argument("--limit", type=int, metavar="N", help="the split's first N samples only")
    evaluate.add_argument(
        "--batch-size", type=int, metavar="N", help="samples per batch (default: the run's)"
    )
    evaluate.add_argument(
        "--dry-run",
        action="store_true",
        help="print the jobs, circuits, shots, round trips and QPU time the run would take, "
        "check that every circuit fits the backend, and submit nothing",
    )
    evaluate.add_argument(
        "--resume", action="store_true", help="continue an interrupted evaluation of that name"
    )
    evaluate.add_argument(
        "--name",
        help="names the evaluation's files (default: the backend, and its --device if given)",
    )
    evaluate.add_argument(
        "--shot-agreement",
        type=float,
        default=0.99,
        metavar="X",
        help="with --shots auto: the share of the exact simulator's predictions the chosen shots "
        "must keep (default: 0.99)",
    )
    _add_backend_arguments(evaluate)
    evaluate.set_defaults(command=_evaluate)

    predict = commands.add_parser(
        "predict", help="classify images (PNG or .npy) with a run's best checkpoint"
    )
    _add_model_arguments(predict, "classifies with it")
    predict.add_argument(
        "--input",
        type=Path,
        nargs="+",
        required=True,
        metavar="FILE",
        help="PNG images, or .npy arrays of raw pixels in the dataset's range (0..16 for "
        "digits, 0..255 for MNIST and CIFAR-10), (H, W[, C]) or (N, H, W[, C])",
    )
    _add_backend_arguments(predict)
    predict.set_defaults(command=_predict)


def _workdir(text: str) -> Path:
    """A ``--workdir``: any path but the empty one, which would mean the current directory."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"got {text!r}, an empty path; give the run's folder, e.g. --workdir runs/digits "
            "(--workdir . for the current directory)"
        )
    return Path(text)


def _add_model_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """``--workdir`` (a run, whose best checkpoint the command uses) and ``--pretrained``."""
    parser.add_argument(
        "--workdir",
        type=_workdir,
        help=f"a run's directory: the command {what} (with --pretrained: where its files go, "
        "default ~/.local/share/qrkt/pretrained/NAME)",
    )
    parser.add_argument(
        "--pretrained",
        metavar="NAME",
        help="a pretrained model shipped with qrkt instead of a run (qrkt pretrained lists them)",
    )


def _trained_model(args: argparse.Namespace) -> Any:
    """The model a command uses: ``--pretrained NAME``, else the run in ``--workdir``."""
    if args.pretrained is not None:
        from qrkt import pretrained

        return pretrained.load(args.pretrained, args.workdir)
    if args.workdir is None:
        raise QrktError(
            "give --workdir DIR (a run of qrkt train) or --pretrained NAME (a model shipped with "
            "qrkt; qrkt pretrained lists them)"
        )
    return args.workdir


def _shots(text: str) -> int | str:
    """``--shots``: a count, or ``auto``."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"got {text!r}; give a whole number of shots, e.g. 1024, or auto"
        ) from None


_BACKEND_FLAGS: tuple[tuple[str, Callable[[str], object], str, str], ...] = (
    (
        "device",
        str,
        "NAME",
        "the device: ibm_runtime: 'ibm_fez', 'fake_fez' or 'aer'; qiskit: 'aer', 'fake_fez', "
        "'braket_local', 'braket:<ARN>', 'ionq:<backend>'; braket: 'local', 'local_dm' or a "
        "device ARN; cirq: a virtual Google device, 'rainbow' or 'weber' (Google's noise) or "
        "'rainbow-noiseless'; see the README's vendor table",
    ),
    (
        "shots",
        _shots,
        "N|auto",
        "shots per circuit (sampling backends); 'auto' (evaluate): the fewest that keep "
        "--shot-agreement of the exact simulator's predictions",
    ),
    ("resilience_level", int, "K", "ibm_runtime: 0 none, 1 readout mitigation, 2 ZNE"),
    (
        "execution_mode",
        str,
        "MODE",
        "ibm_runtime: 'session' (one Session for the run: no queueing between a batch's "
        "dependent jobs), 'batch' (one Batch per call) or 'job'",
    ),
    ("optimization_level", int, "K", "qiskit backends: the transpiler's level, 0 to 3"),
    ("max_retries", int, "N", "ibm_runtime: resubmissions of a failed job"),
    ("seed", int, "N", "seed of the sampling"),
)


def _add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", default="jax", help="backend of the circuits (default: jax)")
    group = parser.add_argument_group(
        "backend options (the backend's defaults where not given; the IBM Quantum account comes "
        "from QISKIT_IBM_TOKEN, QISKIT_IBM_INSTANCE or a saved account, never from arguments)"
    )
    for flag, kind, metavar, what in _BACKEND_FLAGS:
        group.add_argument(f"--{flag.replace('_', '-')}", type=kind, metavar=metavar, help=what)
    group.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other option of the backend (VALUE read as JSON, else as text); repeatable",
    )


def _backend_options(args: argparse.Namespace) -> tuple[tuple[str, object], ...]:
    """The backend options given on the command line, in order."""
    import json

    from qrkt.backends.registry import check_option_values

    options = [
        (flag, getattr(args, flag))
        for flag, *_ in _BACKEND_FLAGS
        if getattr(args, flag) is not None
    ]
    for text in args.option:
        key, equals, value = text.partition("=")
        if not equals or not key:
            raise QrktError(f"--option takes KEY=VALUE, got {text!r}; e.g. --option noise=0.01")
        try:
            options.append((key, json.loads(value)))
        except (ValueError, RecursionError):  # not JSON (or nested too deeply): text
            options.append((key, value))
    check_option_values(args.backend, dict(options))
    return tuple(options)


def _add_ansatz_arguments(
    parser: argparse.ArgumentParser, ansatze: object, default_qubits: int | None = None
) -> None:
    parser.add_argument(
        "--ansatz", default="qrkt", choices=sorted(ansatze), help="ansatz name (default: qrkt)"
    )
    parser.add_argument(
        "--qubits",
        type=int,
        required=default_qubits is None,
        default=default_qubits,
        help="circuit width",
    )
    parser.add_argument("--layers", type=int, default=1, help="variational layers (default: 1)")
    parser.add_argument(
        "--untied", action="store_true", help="separate RX and RZ weights (qrkt ansatz)"
    )


def _build(args: argparse.Namespace):
    from qrkt.circuits.ansatz import build_ansatz

    return build_ansatz(args.ansatz, args.qubits, args.layers, tied=not args.untied)


def _backends(args: argparse.Namespace) -> int:
    from qrkt.backends.registry import backend_entries
    from qrkt.training.parallel import describe_devices

    rows = [("backend", "installed", "capabilities")]
    for entry in backend_entries():
        installed = "yes" if entry.installed else f"no: {entry.install_command}"
        rows.append((entry.name, installed, entry.capabilities.summary()))
    print(format_table(rows))
    print(f"\nJAX devices (jax, tensorcircuit): {describe_devices(_all_devices())}")
    return 0


def _circuit(args: argparse.Namespace) -> int:
    from qrkt.circuits import draw, to_json, to_qasm3

    circuit = _build(args)
    export = {"text": draw, "json": to_json, "qasm3": to_qasm3}[args.format](circuit)
    if args.output:
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(export + "\n")
        except OSError as error:
            raise QrktError(
                f"cannot write --output {str(args.output)!r} ({error.strerror}: "
                f"{error.filename}); give a file path in a folder you can write to"
            ) from error
        print(f"wrote {args.format} to {args.output}")
    else:
        print(export)
    if args.format == "text" or args.output:
        print(
            f"\n{args.ansatz} ansatz: {circuit.n_qubits} qubits, {circuit.n_inputs} inputs, "
            f"{circuit.n_weights} weights, {len(circuit.gates)} gates"
        )
    return 0


def _demo(args: argparse.Namespace) -> int:
    from qrkt.backends.registry import installed_backends
    from qrkt.circuits import draw
    from qrkt.demo import compare_backends, demo_arguments

    circuit = _build(args)
    names = args.backends.split(",") if args.backends else installed_backends()
    inputs, weights = demo_arguments(circuit, args.batch, args.seed)
    print(draw(circuit), end="\n\n")
    runs = compare_backends(circuit, inputs, weights, names)
    width = circuit.n_observables
    rows = [
        (
            "backend",
            f"sample 0: <Z_0> ... <Z_{width - 1}>",
            "max |Δ value|",
            "max |Δ grad|",
            "time s",
        )
    ]
    for run in runs:
        if run.failure:
            rows.append((run.backend, f"failed: {run.failure}", "", "", f"{run.seconds:.2f}"))
            continue
        rows.append(
            (
                run.backend,
                " ".join(f"{v:+.5f}" for v in run.values[0]),
                f"{run.value_error:.1e}",
                f"{run.gradient_error:.1e}",
                f"{run.seconds:.2f}",
            )
        )
    print(format_table(rows))
    print(
        f"\n{args.batch} samples, seed {args.seed}; Δ: against the reference backend (complex128)."
    )
    return 1 if any(run.failure for run in runs) else 0


def _presets(args: argparse.Namespace) -> int:
    from qrkt.gan import GAN_PRESETS
    from qrkt.presets import PRESETS

    rows = [("preset", "dataset", "kind", "description")]
    rows += [(name, p.dataset, "classifier", p.description) for name, p in PRESETS.items()]
    rows += [(name, p.dataset, "GAN", p.description) for name, p in GAN_PRESETS.items()]
    print(format_table(rows))
    return 0


def _pretrained(args: argparse.Namespace) -> int:
    from qrkt import pretrained

    rows = [
        ("model", "dataset", "parameters", "qubits", "epoch", "accuracy", "F1", "AUC", "trained")
    ]
    for card in pretrained.available():
        metrics = card.validation
        rows.append(
            (
                card.name,
                card.dataset,
                f"{card.parameters:,}",
                str(card.qubits or "-"),
                f"{card.best_epoch} of {card.epochs}",
                f"{metrics['accuracy']:.1%}",
                f"{metrics['f1']:.1%}",
                f"{metrics['auc']:.4f}",
                card.trained["date"],
            )
        )
    print(format_table(rows))
    print(
        "\nvalidation metrics at the best-AUC epoch. Evaluate one with qrkt evaluate --pretrained "
        "NAME; its card (command, seed, versions, checksums) is in "
        f"{pretrained.models_directory()}/NAME/card.json"
    )
    return 0


def _describe(args: argparse.Namespace) -> int:
    from qrkt.gan import GAN_PRESETS, describe_gan_preset
    from qrkt.presets import describe_preset

    if args.preset in GAN_PRESETS:
        print(describe_gan_preset(args.preset))
    else:
        print(describe_preset(args.preset))
    return 0


def _train(args: argparse.Namespace) -> int:
    from qrkt.training import TrainConfig, train_and_evaluate
    from qrkt.training.report import THESIS_COLUMNS, thesis_row

    _initialize_distributed(args)
    fields = {field.name for field in dataclasses.fields(TrainConfig)}
    settings = {
        name: value for name, value in vars(args).items() if name in fields and value is not None
    }
    config = TrainConfig(**settings)
    try:
        result = train_and_evaluate(
            config, args.workdir, resume=args.resume, progress=_progress_bar(_all_devices())
        )
    except KeyboardInterrupt:
        return _interrupted(args.workdir)
    _say_if_finished(result.already_finished, args.workdir)
    print()
    print(format_table([THESIS_COLUMNS, thesis_row(result.summary)]))
    print(
        f"\nvalidation metrics of the best-AUC epoch; checkpoints, metrics.jsonl, summary.json, "
        f"loss.png and auc.png in {args.workdir}"
    )
    return 0


def _initialize_distributed(args: argparse.Namespace) -> None:
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


def _train_gan(args: argparse.Namespace) -> int:
    from qrkt.gan import GanTrainConfig, train_gan

    fields = {field.name for field in dataclasses.fields(GanTrainConfig)}
    settings = {
        name: value for name, value in vars(args).items() if name in fields and value is not None
    }
    if args.augment is not None:
        settings["augment"] = tuple(
            part.strip() for part in args.augment.split(",") if part.strip()
        )
    try:
        result = train_gan(
            GanTrainConfig(**settings),
            args.workdir,
            resume=args.resume,
            progress=_progress_bar(_all_devices()[:1], _gan_line),  # unsharded: one device
        )
    except KeyboardInterrupt:
        return _interrupted(args.workdir)
    _say_if_finished(result.already_finished, args.workdir)
    summary = result.summary
    print(
        f"\n{summary['steps']} generator steps in {summary['train_seconds']:.0f} s; generator "
        f"{summary['generator_parameters']:,} parameters, discriminator "
        f"{summary['discriminator_parameters']:,}; checkpoints, metrics.jsonl, summary.json and "
        f"samples/ in {args.workdir}; score it with qrkt evaluate-gan --workdir {args.workdir}"
    )
    return 0


def _say_if_finished(already_finished: bool, workdir: Path) -> None:
    if already_finished:
        print(
            f"qrkt: the run in {workdir} had already trained all its epochs: nothing left to "
            "do; its summary:"
        )


def _interrupted(workdir: Path) -> int:
    """Tell how to continue an interrupted run; the exit status of an interrupt."""
    print(
        f"\nqrkt: interrupted; continue the run with the same command and --resume "
        f"(work directory {workdir})",
        file=sys.stderr,
    )
    return 130


def _gan_line(record: dict[str, Any]) -> str:
    return (
        f"epoch {record['epoch']}: critic loss {record['critic_loss']:.4f} (Wasserstein "
        f"{record['wasserstein']:.4f}, penalty {record['penalty']:.4f}), generator loss "
        f"{record['generator_loss']:.4f}; {record['epoch_seconds']:.1f} s"
    )


def _evaluate_gan(args: argparse.Namespace) -> int:
    from qrkt.gan import evaluate_gan

    result = evaluate_gan(
        args.workdir,
        backend=args.backend,
        backend_options=_backend_options(args),
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


def _train_line(record: dict[str, Any]) -> str:
    return (
        f"epoch {record['epoch']}: train loss {record['train_loss']:.4f}, "
        f"accuracy {record['train_accuracy']:.3f}; validation loss "
        f"{record['validation_loss']:.4f}, accuracy "
        f"{record['validation_accuracy']:.3f}, AUC {record['validation_auc']:.4f}; "
        f"{record['samples_per_second']:.0f} samples/s"
    )


def _all_devices() -> list[Any]:
    """Every JAX device, of every process: what training is data-parallel over."""
    import jax

    return jax.devices()


def _running_on(devices: Sequence[Any]) -> str:
    """Where a run computes: ``"running on 4 x gpu (NVIDIA H200), data-parallel"``."""
    from qrkt.training.parallel import describe_devices

    return f"running on {describe_devices(devices)}" + (
        ", data-parallel" if len(devices) > 1 else ""
    )


def _progress_bar(devices: Sequence[Any], line: Any = _train_line) -> Any:
    """A tqdm bar per epoch, counting samples (so its rate is samples/s), and ``line`` of the
    epoch's record at its end; before the first epoch, the ``devices`` the run uses."""
    import jax
    from tqdm import tqdm

    from qrkt.training import Progress

    class ProgressBar(Progress):
        bar: Any = None

        def epoch_started(self, epoch: int, samples: int, done: int) -> None:
            if self.bar is None and jax.process_index() == 0:
                tqdm.write(_running_on(devices))
            self.bar = tqdm(
                total=samples,
                initial=done,
                desc=f"epoch {epoch}",
                unit="sample",
                dynamic_ncols=True,
                disable=jax.process_index() > 0,  # one bar for a run over several hosts
            )

        def step_finished(self, step: int, samples: int) -> None:
            self.bar.update(samples)

        def epoch_finished(self, record: dict[str, Any]) -> None:
            self.bar.close()
            if not self.bar.disable:
                tqdm.write(line(record))

    return ProgressBar()


def _evaluate(args: argparse.Namespace) -> int:
    from qrkt.training import evaluate
    from qrkt.training.evaluation import journaled
    from qrkt.training.target import as_trained

    options = _backend_options(args)
    model = as_trained(_trained_model(args))
    if args.dry_run:
        from qrkt.training.device_evaluation import dry_run

        print(
            dry_run(
                model,
                backend=args.backend,
                backend_options=options,
                split=args.split,
                data_dir=args.data_dir,
                limit=args.limit,
                batch_size=args.batch_size,
                shot_agreement=args.shot_agreement,
            ).report()
        )
        print("\ndry run: nothing was submitted")
        return 0
    if journaled(model.model, args.backend):
        print(f"{_running_on(_all_devices()[:1])}; the circuits on {args.backend}")
    else:
        print(_running_on(_all_devices()))
    bar = _batch_bar()
    try:
        result = evaluate(
            model,
            backend=args.backend,
            split=args.split,
            data_dir=args.data_dir,
            limit=args.limit,
            batch_size=args.batch_size,
            backend_options=options,
            name=args.name,
            shot_agreement=args.shot_agreement,
            resume=args.resume,
            progress=bar,
            command=shlex.join(["qrkt", *args.argv]),
        )
    except KeyboardInterrupt:
        print(
            "\nqrkt: interrupted; finished calls and batches are kept: continue with the same "
            "command and --resume",
            file=sys.stderr,
        )
        return 130
    finally:
        bar.close()
    rows = [("preset", "split", "backend", "samples", "loss", "accuracy", "F1", "AUC")]
    rows.append(
        (
            result["preset"],
            result["split"],
            args.backend,
            str(result["samples"]),
            f"{result['loss']:.4f}",
            f"{result['accuracy']:.4f}",
            f"{result['f1']:.4f}",
            f"{result['auc']:.4f}",
        )
    )
    print(format_table(rows))
    if "parity" in result:
        parity = result["parity"]
        estimated, billed = result["estimated_qpu_seconds"], result["billed_qpu_seconds"]
        spent = (
            f" in {result['jobs']} job(s)"
            + ("" if estimated is None else f", estimated QPU time {estimated:,.0f} s")
            + ("" if billed is None else f", billed {billed:,.0f} s")
            if result["jobs"]
            else " on this machine"
        )
        shots = result["shot_choice"]
        if shots is not None:
            print(f"\nshots: {shots['shots']} per circuit, chosen by --shots auto")
        print(
            f"\n{result['calls_run']} layer call(s) run{spent} "
            f"({result['calls_per_batch']} layer calls per batch; "
            f"{result['calls_replayed']} call(s) replayed from an earlier run). Against the exact "
            f"simulator on the same samples: accuracy {parity['accuracy']:.4f} vs "
            f"{parity['exact_accuracy']:.4f} (delta {parity['accuracy_delta']:+.4f}), "
            f"predictions agree on {parity['prediction_agreement']:.1%}, probabilities differ "
            f"by {parity['probability_mae']:.4f} on average; per layer in {parity['path']}"
        )
    print(f"\nthe best checkpoint, from epoch {result['epoch']}; wrote {result['path']}")
    return 0


def _batch_bar() -> Any:
    """A tqdm bar over batches, created at the first report (a simulator pass reports none)."""
    from tqdm import tqdm

    class BatchBar:
        bar: Any = None

        def __call__(self, done: int, total: int) -> None:
            if self.bar is None:
                self.bar = tqdm(total=total, initial=done, desc="batches", unit="batch")
            else:
                self.bar.update(done - self.bar.n)

        def close(self) -> None:
            if self.bar is not None:
                self.bar.close()

    return BatchBar()


def _predict(args: argparse.Namespace) -> int:
    import numpy as np

    from qrkt.training.prediction import predict_images

    predictions = predict_images(
        _trained_model(args),
        args.input,
        backend=args.backend,
        backend_options=_backend_options(args),
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


if __name__ == "__main__":
    sys.exit(main())
