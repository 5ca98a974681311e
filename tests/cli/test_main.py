import subprocess
import sys

import pytest

from qrkt.cli import main


def test_an_error_raised_inside_a_host_callback_is_shown_not_jax_wrapper(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qrkt.backends import parameter_shift

    monkeypatch.setattr(parameter_shift, "MEMORY_BUDGET", 512)  # the reference gradient's
    assert main(["demo", "--qubits", "2", "--backends", "jax"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qrkt: error: the parameter-shift gradient of 4 sample(s) x ")
    assert "over the 512 bytes budget" in err and "CpuCallback" not in err


def test_a_reader_that_leaves_early_is_not_an_error() -> None:
    # 800 kB of JSON: far more than a pipe holds, so the writer meets the closed pipe
    command = "from qrkt.cli import main; raise SystemExit(main())"
    arguments = "circuit --qubits 20 --layers 200 --format json"
    run = subprocess.run(
        f"{sys.executable} -c '{command}' {arguments} | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.stdout.startswith("{")
    assert "Traceback" not in run.stderr and "BrokenPipeError" not in run.stderr


@pytest.mark.parametrize("module", ["qrkt", "qrkt.cli"])
def test_python_m_runs_the_command(module: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", module, "circuit", "--qubits", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "qrkt ansatz: 2 qubits" in run.stdout
