import pytest

from qrkt.cli import main


def test_demo_compares_backends_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--qubits", "3", "--batch", "2", "--backends", "reference,jax"]) == 0
    out = capsys.readouterr().out
    rows = {
        line.split()[0]: line.split()
        for line in out.splitlines()
        if line.startswith(("reference ", "jax "))
    }
    assert rows["reference"][1:4] == rows["jax"][1:4]  # same rounded values, column by column
    assert float(rows["jax"][4]) < 1e-5  # max |Δ value| against reference


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--batch", "0"], "batch (--batch) must be an integer >= 1, got 0"),
        (
            ["--seed", "99999999999999999999"],
            "seed (--seed) must be an integer from 0 to 4294967295, got 99999999999999999999",
        ),
    ],
)
def test_demo_refuses_a_bad_batch_or_seed(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--qubits", "2", "--backends", "reference", *flags]) == 2
    assert capsys.readouterr().err == f"qrkt: error: {message}\n"


def test_demo_reports_a_failing_backend_and_exits_nonzero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--qubits", "2", "--backends", "reference,nosuch"]) == 1
    assert "failed: unknown backend 'nosuch'" in capsys.readouterr().out
