import pytest

from qrkt.cli import main


@pytest.mark.parametrize("command", ["train", "train-gan", "evaluate", "evaluate-gan", "predict"])
def test_an_empty_workdir_is_refused(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main([command, "--workdir", ""])
    assert exit.value.code == 2
    assert (
        f"qrkt {command}: error: argument --workdir: got '', an empty path; give the run's "
        "folder, e.g. --workdir runs/digits (--workdir . for the current directory)"
    ) in capsys.readouterr().err
