from pathlib import Path

from qrkt.training.report import (
    THESIS_COLUMNS,
    append_record,
    best_record,
    plot_curves,
    read_records,
    summarize,
    thesis_row,
    write_records,
)


def _record(epoch: int, auc: float) -> dict:
    metrics = {"loss": 1.0 / epoch, "accuracy": 0.5 + epoch / 100, "f1": 0.4, "auc": auc}
    return {
        "epoch": epoch,
        "step": 10 * epoch,
        **{f"train_{k}": v for k, v in metrics.items()},
        **{f"validation_{k}": v for k, v in metrics.items()},
        "epoch_seconds": 2.0,
    }


RECORDS = [_record(1, 0.7), _record(2, 0.9), _record(3, 0.9), _record(4, 0.8)]


def test_the_best_epoch_is_the_first_of_highest_validation_auc() -> None:
    assert best_record(RECORDS)["epoch"] == 2


def test_summary_and_thesis_row() -> None:
    summary = summarize(RECORDS, preset="digits-qrk1", parameters=1234, qubits=114)
    assert summary["best_epoch"] == 2
    assert summary["train_seconds"] == 8.0
    assert summary["steps"] == 40
    assert summary["validation"] == {"loss": 0.5, "accuracy": 0.52, "f1": 0.4, "auc": 0.9}
    assert len(THESIS_COLUMNS) == 7
    assert thesis_row(summary) == ("digits-qrk1", "8", "52.0 %", "40.0 %", "2", "1,234", "114")
    assert thesis_row({**summary, "qubits": 0})[-1] == "-"


def test_records_round_trip_and_append(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    write_records(path, RECORDS[:2])
    append_record(path, RECORDS[2])
    assert read_records(path) == RECORDS[:3]


def test_plots_are_png_files(tmp_path: Path) -> None:
    paths = plot_curves(RECORDS, tmp_path)
    assert [p.name for p in paths] == ["loss.png", "auc.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)
