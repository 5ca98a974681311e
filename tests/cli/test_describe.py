import pytest

from qrkt.cli import main


def test_describe_prints_the_preset(capsys: pytest.CaptureFixture[str]) -> None:
    from qrkt.presets import describe_preset

    assert main(["describe", "digits-qrk1"]) == 0
    assert capsys.readouterr().out == describe_preset("digits-qrk1") + "\n"
    assert main(["describe", "nosuch"]) == 2
    assert "unknown preset 'nosuch'; known presets: " in capsys.readouterr().err
