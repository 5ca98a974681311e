"""Running a benchmark script's ``--quick`` mode as CI does, and reading what it wrote."""

from __future__ import annotations

import json
from pathlib import Path

from tests.training.subprocesses import run_script

ROOT = Path(__file__).parents[2]


def run_quick(module: str, out: Path) -> dict:
    """Run ``python -m benchmarks.<module> --quick --out out`` (compiling fast) and return its
    JSON report, after checking that it says how it was made."""
    script = f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from benchmarks.{module} import main
        main()
    """
    run_script(script, "--quick", "--out", out)
    report = json.loads(out.read_text())
    assert "--quick" in report["command"] and report["machine"]["versions"]["jax"]
    return report
