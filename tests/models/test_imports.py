"""Models depend on the abstract QuantumLayer only: never on a backend."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import qrkt.models

MODELS = Path(qrkt.models.__file__).parent


def test_no_model_module_imports_a_backend() -> None:
    offenders = []
    for path in sorted(MODELS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("qrkt.backends")]
    assert offenders == []


def test_importing_models_loads_no_backend() -> None:
    code = "import sys, qrkt.models; print(sorted(m for m in sys.modules if 'qrkt.backends' in m))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
