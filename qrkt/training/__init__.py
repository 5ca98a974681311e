"""Training and evaluation of the preset models: the thesis's recipe, resumable, data-parallel.

``train_and_evaluate(TrainConfig(preset="digits-qrk1"), "runs/a")`` trains and writes the run's
checkpoints, metrics, summary and plots to its work directory; ``evaluate("runs/a",
backend="tensorcircuit")`` evaluates its best checkpoint on another backend, and
``predict_images("runs/a", [Path("digit.png")])`` classifies your own images. Both also take a
:class:`TrainedModel`, such as ``qrkt.pretrained.load("digits-qrk1")``.
"""

from qrkt.training.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from qrkt.training.config import TrainConfig
from qrkt.training.evaluation import evaluate
from qrkt.training.loop import Progress
from qrkt.training.metrics import classification_metrics
from qrkt.training.parallel import DataParallel, initialize_distributed
from qrkt.training.prediction import Predictions, predict_images
from qrkt.training.target import TrainedModel
from qrkt.training.trainer import TrainResult, train_and_evaluate

__all__ = [
    "Checkpoint",
    "DataParallel",
    "Predictions",
    "Progress",
    "TrainConfig",
    "TrainResult",
    "TrainedModel",
    "classification_metrics",
    "evaluate",
    "initialize_distributed",
    "load_checkpoint",
    "predict_images",
    "save_checkpoint",
    "train_and_evaluate",
]
