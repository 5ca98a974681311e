"""Every cell of :mod:`benchmarks.backends` results as one Markdown table: qrkt's ``jax``
backend against the fastest other candidate, forward, gradient, compile time and memory.

Run from the repository root, with the results files in the order they were measured (a later
file's measurement of a cell replaces an earlier one's)::

    python -m benchmarks.backends_report benchmarks/results/backends_grid.json
    python -m benchmarks.backends_report A.json B.json --out benchmarks/results/backends_grid.md

``jax`` is the backend as users get it: its product-state readout (``jax-clifford``) where the
circuit allows it, else its statevector strategies; the strategy column says which ran. A ratio
is ``jax``'s time over the fastest other candidate's measured in that cell (below 1: ``jax`` is
faster); the compile ratio is over TensorCircuit's gradient compile time; memory is the
gradient's XLA buffers (``jax``'s, then TensorCircuit's) next to the batch's state (``B 2^n``
complex64 amplitudes). Candidates not timed because they were estimated too slow
(``over_budget``) are named with their estimate: they were not the fastest unless ``jax``
itself was slower than that estimate.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

if not __package__:  # run as a file: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qrkt.backends.jax_statevector import JaxStatevectorBackend
from qrkt.circuits.ansatz import build_ansatz

JAX = ("jax-clifford", "jax")  # the product-state readout where it applies, else the statevector
TENSORCIRCUIT = "tensorcircuit"  # the reference for compile time and memory
TIME_GOAL = 1.0  # jax no slower than the fastest other candidate
MEMORY_GOAL = 2.0  # gradient memory within 2x the batch's state ...
SMALL_MIB = 1.0  # ... where it matters: fixed buffers dominate below a MiB

Key = tuple[str, int, int, int]  # ansatz, layers, n, batch


@dataclass(frozen=True)
class Row:
    """One cell: ``jax``'s measurement, the fastest others and what was not timed."""

    key: Key
    jax: dict
    strategy: str
    forward_rival: dict | None
    grad_rival: dict | None
    tensorcircuit: dict | None
    over_budget: list[dict]

    def ratio(self, kind: str) -> float | None:
        rival = self.forward_rival if kind == "forward" else self.grad_rival
        return None if rival is None else self.jax[f"{kind}_ms"] / rival[f"{kind}_ms"]

    @property
    def compile_ratio(self) -> float | None:
        tc = self.tensorcircuit
        if tc is None or tc["compile_grad_s"] <= 0:
            return None
        return self.jax["compile_grad_s"] / tc["compile_grad_s"]

    @property
    def memory_to_tensorcircuit(self) -> float | None:
        mib = (self.tensorcircuit or {}).get("grad_mib")
        return None if not mib or self.jax.get("grad_mib") is None else self.jax["grad_mib"] / mib

    @property
    def memory_ratio(self) -> float | None:
        mib = self.jax.get("grad_mib")
        return None if mib is None else mib / self.jax["state_mib"]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, nargs="+", help="benchmarks.backends JSON files")
    parser.add_argument("--out", type=Path, help="also write the Markdown here")
    args = parser.parse_args(argv)
    reports = [json.loads(path.read_text()) for path in args.results]
    text = render(rows(reports), [r["command"] for r in reports])
    print(text)
    if args.out:
        args.out.write_text(text)
        print(f"wrote {args.out}")


def rows(reports: Iterable[dict]) -> list[Row]:
    """One row per cell where ``jax`` was measured, in grid order."""
    measured: dict[Key, dict[str, dict]] = {}
    skipped: dict[Key, dict[str, dict]] = {}
    for report in reports:
        for m in report["results"]:
            measured.setdefault(_key(m), {})[m["backend"]] = m
        for s in report.get("over_budget", []):
            skipped.setdefault(_key(s), {})[s["backend"]] = s
    table = []
    for key in sorted(measured):
        by_backend = measured[key]
        name = next((n for n in JAX if n in by_backend), None)
        if name is None:
            continue
        others = [m for n, m in by_backend.items() if n not in JAX]
        table.append(
            Row(
                key,
                by_backend[name],
                _strategy(key, name),
                min(others, key=lambda m: m["forward_ms"], default=None),
                min(others, key=lambda m: m["grad_ms"], default=None),
                by_backend.get(TENSORCIRCUIT),
                [s for n, s in skipped.get(key, {}).items() if n not in by_backend],
            )
        )
    return table


def render(table: list[Row], commands: list[str]) -> str:
    """The summary and the table, in Markdown."""
    lines = [
        "# `jax` against the fastest other backend, cell by cell",
        "",
        "Made by `python -m benchmarks.backends_report` from the runs of",
        "",
        *[f"- `{command}`" for command in commands],
        "",
        *_summary(table),
        "",
        "| circuit | n | B | strategy | jax fwd / grad ms | fastest other fwd | fastest other grad"
        " | fwd x | grad x | grad compile s, jax / TC | grad MiB, jax / TC / state | not timed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [_line(row) for row in table]
    return "\n".join(lines) + "\n"


def _summary(table: list[Row]) -> list[str]:
    def count(values: list[float | None], goal: float) -> str:
        known = [v for v in values if v is not None]
        return f"{sum(v <= goal for v in known)} of {len(known)}"

    forward = [row.ratio("forward") for row in table]
    grad = [row.ratio("grad") for row in table]
    memory = [
        row.memory_ratio if row.jax["grad_mib"] > SMALL_MIB else 0.0
        for row in table
        if row.memory_ratio is not None
    ]
    return [
        f"- forward no slower than the fastest other (x <= {TIME_GOAL}): "
        f"{count(forward, TIME_GOAL)} cells; within 1.2x: {count(forward, 1.2)}",
        f"- gradient no slower (x <= {TIME_GOAL}): {count(grad, TIME_GOAL)} cells; "
        f"within 1.2x: {count(grad, 1.2)}",
        f"- gradient compiles no slower than TensorCircuit's: "
        f"{count([row.compile_ratio for row in table], 1.0)} cells",
        f"- gradient memory within {MEMORY_GOAL}x the batch's state, or under {SMALL_MIB} MiB: "
        f"{count(memory, MEMORY_GOAL)} cells; no more than TensorCircuit's: "
        f"{count([row.memory_to_tensorcircuit for row in table], 1.0)} cells",
    ]


def _line(row: Row) -> str:
    ansatz, layers, n, batch = row.key
    jax = row.jax
    tc = row.tensorcircuit or {}
    mib = ("-" if m.get("grad_mib") is None else _n(m["grad_mib"]) for m in (jax, tc))
    memory = " / ".join([*mib, _n(jax["state_mib"])])
    compile_s = f"{jax['compile_grad_s']:.1f} / " + (f"{tc['compile_grad_s']:.1f}" if tc else "-")
    not_timed = ", ".join(f"{s['backend']} ~{s['estimated_grad_s']:.0f} s" for s in row.over_budget)
    return (
        f"| {ansatz} L={layers} | {n} | {batch:,} | {row.strategy} "
        f"| {_n(jax['forward_ms'])} / {_n(jax['grad_ms'])} "
        f"| {_rival(row.forward_rival, 'forward')} | {_rival(row.grad_rival, 'grad')} "
        f"| {_x(row.ratio('forward'))} | {_x(row.ratio('grad'))} | {compile_s} | {memory} "
        f"| {not_timed} |"
    )


def _rival(m: dict | None, kind: str) -> str:
    return "-" if m is None else f"{m['backend']} {_n(m[f'{kind}_ms'])}"


def _x(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    text = f"{ratio:.2f}"
    return f"**{text}**" if ratio > TIME_GOAL else text


def _n(value: float) -> str:
    """Three significant figures, without an exponent below a million."""
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _key(m: dict) -> Key:
    return (m["ansatz"], m["layers"], m["n"], m["batch"])


def _strategy(key: Key, name: str) -> str:
    if name == "jax-clifford":
        return "product"
    ansatz, layers, n, _ = key
    backend = JaxStatevectorBackend(clifford_readout=False)
    return backend.strategy_for(build_ansatz(ansatz, n, layers))


if __name__ == "__main__":
    main()
