from pathlib import Path

import pytest

from qrkt.cli import main


def test_evaluate_without_a_run_says_to_train_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", "--workdir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"qrkt: error: no checkpoint at {tmp_path / 'checkpoints' / 'best.ckpt'}; train first "
        f"(qrkt train ... --workdir {tmp_path}) or pass the work directory of a finished run\n"
    )
