"""What ``qrkt evaluate-gan`` prints: its stages as they go, the scores with their spread, a
warning where the floor's KID is negative, and the files it wrote (issue 19). The evaluation
itself is faked here; tests/gan/test_training.py runs the real one."""

from pathlib import Path
from typing import Any

import pytest

from qrkt.cli import main


def _scores(kid: float, kid_std: float) -> dict[str, float]:
    return {
        "fid": 12.3456789,
        "kid": kid,
        "kid_std": kid_std,
        "is": 4.56789,
        "is_std": 0.0123,
        "recognisable": 0.8125,
        "class_coverage": 0.96321,
        "classes_present": 10,
    }


def _fake_evaluation(floor_kid: float) -> Any:
    """An ``evaluate_gan`` that reports two stages and a batch, and returns fixed scores."""

    def evaluate_gan(workdir: Path, **kwargs: Any) -> dict[str, Any]:
        progress = kwargs["progress"]
        progress.stage("generating 40 samples on jax")
        progress(0, 1)
        progress(1, 1)
        progress.stage("scoring")
        name = kwargs["name"] or "jax"
        return {
            "preset": "digits-qgan",
            "step": 1200,
            "backend": "jax",
            "name": name,
            "samples": 40,
            "held_out": 360,
            "classes": 10,
            "metrics": "classifier-based",
            "recognisable_threshold": 0.9,
            "held_out_recognisable": 0.95,
            "classifier_held_out_accuracy": 0.97,
            "real": _scores(floor_kid, 0.00123),
            "generated": _scores(0.0123456, 0.0045678),
            "untrained": _scores(1.23456, 0.2),
            "untrained_backend": "jax",
            "grids": {
                "samples": f"samples-{name}.png",
                "most_sure": f"samples-{name}-most-sure.png",
                "least_sure": f"samples-{name}-least-sure.png",
            },
        }

    return evaluate_gan


def test_evaluate_gan_prints_its_stages_scores_and_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import qrkt.gan

    monkeypatch.setattr(qrkt.gan, "evaluate_gan", _fake_evaluation(floor_kid=0.0004))
    assert main(["evaluate-gan", "--workdir", str(tmp_path), "--name", "mine"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[:2] == ["generating 40 samples on jax", "scoring"]
    assert "1/1" in captured.err  # the bar over the batches
    assert lines[2].startswith("images") and lines[2].endswith("recognisable  class coverage")
    # KID and IS to the decimal place of their spread's second significant digit.
    assert lines[4].split("  ")[0] == "real: train vs held-out (floor)"
    assert "0.0004 ± 0.0012" in lines[4]
    assert "0.0123 ± 0.0046" in lines[5] and "4.568 ± 0.012" in lines[5]
    assert "81.2%" in lines[5] and "0.963 (10/10 classes)" in lines[5]
    assert lines[5].startswith("generator (EMA, step 1200) on jax")
    assert lines[6].startswith("untrained generator (ceiling, exact jax simulation)")
    assert "1.23 ± 0.20" in lines[6]
    assert "40 images each, against 360 held-out images;" in lines[-1]
    assert "(true of 95.0% of the held-out images, which it never trained on)" in lines[-1]
    assert lines[-1].endswith(
        "Wrote evaluation-mine.json, samples-mine.png (the first 40 samples), "
        "samples-mine-most-sure.png and samples-mine-least-sure.png (the 40 the classifier is "
        f"most and least sure of) in {tmp_path}"
    )
    assert "warning" not in captured.err


def test_a_negative_floor_kid_is_kept_and_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import qrkt.gan

    monkeypatch.setattr(qrkt.gan, "evaluate_gan", _fake_evaluation(floor_kid=-0.00234))
    assert main(["evaluate-gan", "--workdir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "-0.0023 ± 0.0012" in captured.out.splitlines()[4]
    assert captured.err.splitlines()[-1] == (
        "qrkt: warning: the real-vs-real KID is negative (-0.0023 ± 0.0012): with 40 images the "
        "unbiased estimator's noise is larger than the distance it measures; read every KID only "
        "to within its ±, and pass more --samples"
    )
