import json
from pathlib import Path

import pytest

from qrkt.circuits import build_ansatz, from_json, from_qasm3
from qrkt.cli import main


def test_circuit_draws_the_ansatz(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["circuit", "--qubits", "3", "--layers", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("q0: ─RY(x0)")
    assert "qrkt ansatz: 3 qubits, 3 inputs, 6 weights, 27 gates" in out


def test_circuit_exports_json_that_round_trips(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["circuit", "--ansatz", "cara", "--qubits", "4", "--format", "json"]) == 0
    assert from_json(capsys.readouterr().out) == build_ansatz("cara", 4)


def test_circuit_writes_qasm3_to_a_file(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("qiskit_qasm3_import")
    path = tmp_path / "c.qasm"
    assert (
        main(["circuit", "--qubits", "3", "--untied", "--format", "qasm3", "--output", str(path)])
        == 0
    )
    assert from_qasm3(path.read_text()) == build_ansatz("qrkt", 3, tied=False)
    assert f"wrote qasm3 to {path}" in capsys.readouterr().out


def test_circuit_output_creates_missing_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new" / "folder" / "c.json"
    assert main(["circuit", "--qubits", "2", "--format", "json", "--output", str(path)]) == 0
    assert from_json(path.read_text()) == build_ansatz("qrkt", 2)


def test_circuit_output_that_cannot_be_written_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("")
    path = tmp_path / "file" / "c.json"
    assert main(["circuit", "--qubits", "2", "--format", "json", "--output", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"qrkt: error: cannot write --output '{path}' (File exists: {path.parent}); give a "
        "file path in a folder you can write to\n"
    )


def test_bad_width_is_a_clear_error_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["circuit", "--qubits", "0"]) == 2
    assert "qrkt: error: n_qubits must be an integer >= 1, got 0" in capsys.readouterr().err


def test_unknown_ansatz_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["circuit", "--ansatz", "vitt", "--qubits", "2"])
    assert "choose from 'cara', 'qrkt'" in capsys.readouterr().err


def test_json_export_is_valid_json(capsys: pytest.CaptureFixture[str]) -> None:
    main(["circuit", "--qubits", "2", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["n_qubits"] == 2
