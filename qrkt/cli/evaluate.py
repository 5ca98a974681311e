"""``qrkt evaluate``: a run's best checkpoint evaluated on any backend, a quantum device too."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from qrkt.cli.arguments import Commands, add_model_arguments, trained_model
from qrkt.cli.backend_flags import add_backend_arguments, backend_options
from qrkt.tables import format_table


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "evaluate",
        help="evaluate a run's best checkpoint, on any backend (a quantum device too)",
        description="Evaluate a run's best checkpoint. On a host backend (qiskit_aer, cirq, tfq, "
        "ibm_runtime) each quantum-layer call of a batch is one job; finished calls and batches "
        "are kept in the work directory (continue an interrupted run with --resume), and a "
        "parity report compares the backend with the exact simulator layer by layer.",
    )
    add_model_arguments(parser, "evaluates it and writes the evaluation's files")
    parser.add_argument(
        "--data-dir",
        help="directory of the dataset's files (default: the run's; for a pretrained MNIST model, "
        "the validation split shipped with qrkt)",
    )
    parser.add_argument(
        "--split",
        choices=("validation", "test"),
        default="validation",
        help="(default: validation)",
    )
    parser.add_argument("--limit", type=int, metavar="N", help="the split's first N samples only")
    parser.add_argument(
        "--batch-size", type=int, metavar="N", help="samples per batch (default: the run's)"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the jobs, circuits, shots, round trips and QPU time the run would take, "
        "check that every circuit fits the backend, and submit nothing",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue an interrupted evaluation of that name"
    )
    parser.add_argument(
        "--name",
        help="names the evaluation's files (default: the backend, and its --device if given)",
    )
    parser.add_argument(
        "--shot-agreement",
        type=float,
        default=0.99,
        metavar="X",
        help="with --shots auto: the share of the exact simulator's predictions the chosen shots "
        "must keep (default: 0.99)",
    )
    add_backend_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qrkt.cli.progress import BatchBar, all_devices, running_on
    from qrkt.training import evaluate
    from qrkt.training.evaluation import journaled
    from qrkt.training.target import as_trained

    options = backend_options(args)
    model = as_trained(trained_model(args))
    settings = {
        "backend": args.backend,
        "backend_options": options,
        "split": args.split,
        "data_dir": args.data_dir,
        "limit": args.limit,
        "batch_size": args.batch_size,
        "shot_agreement": args.shot_agreement,
    }
    if args.dry_run:
        from qrkt.training.device_evaluation import dry_run

        print(dry_run(model, **settings).report())
        print("\ndry run: nothing was submitted")
        return 0
    if journaled(model.model, args.backend):
        print(f"{running_on(all_devices()[:1])}; the circuits on {args.backend}")
    else:
        print(running_on(all_devices()))
        print("compiling the evaluation step ...", file=sys.stderr, flush=True)
    bar = BatchBar()
    try:
        result = evaluate(
            model,
            **settings,
            name=args.name,
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
    if "compile_seconds" in result:
        print(f"compiled the evaluation step in {result['compile_seconds']:.1f} s", file=sys.stderr)
    _report(result, args.backend)
    return 0


def _report(result: dict[str, Any], backend: str) -> None:
    """The metrics; on a host backend, what the run spent and its parity with the exact
    simulator."""
    rows = [("preset", "split", "backend", "samples", "loss", "accuracy", "F1", "AUC")]
    rows.append(
        (
            result["preset"],
            result["split"],
            backend,
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
