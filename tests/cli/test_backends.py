import pytest

from qrkt.cli import main


def test_backends_lists_every_backend_with_capabilities(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    for name in ("reference", "jax", "tensorcircuit"):
        assert name in out
    assert "autodiff, exact, max 24 qubits" in out
