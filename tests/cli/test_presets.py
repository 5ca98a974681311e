import pytest

from qrkt.cli import main


def test_presets_lists_names_datasets_and_descriptions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["presets"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[2:]}
    assert {"digits-qrk1", "digits-rk1", "mnist-qrk4-enh", "imdb-qrk4-enh"} <= set(rows)
    assert rows["digits-qrk1"].split()[1] == "digits"


def test_presets_lists_the_gan_presets_too(capsys: pytest.CaptureFixture[str]) -> None:
    from qrkt.gan import GAN_PRESETS

    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["preset", "dataset", "kind", "description"]
    kinds = {line.split()[0]: line.split()[2] for line in lines[2:]}
    assert {name: kinds[name] for name in GAN_PRESETS} == dict.fromkeys(GAN_PRESETS, "GAN")
    assert kinds["digits-qrk1"] == "classifier"
