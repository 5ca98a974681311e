"""QRKT-GAN (REFERENCE §5): TransGAN-style generator and discriminator of QRKT blocks, with
circuits in attention and feed-forward layers (or none: the classical TransGAN baseline), the
non-saturating loss with R1 or REFERENCE §5's WGAN-GP-eps with DiffAugment, a generator EMA,
and classifier-based FID, KID, IS, recognisable share and class coverage.

``train_gan(GanTrainConfig(preset="digits-qgan"), "runs/gan")`` trains and writes the run's
checkpoints, metrics, sample grids and summary; ``evaluate_gan("runs/gan", backend=...)``
scores its EMA generator, sampled on any backend.
"""

from qrkt.gan.config import GanConfig
from qrkt.gan.evaluation import evaluate_gan
from qrkt.gan.models import Discriminator, Generator
from qrkt.gan.presets import GAN_PRESETS, GanPreset, build_gan, describe_gan_preset, get_gan_preset
from qrkt.gan.sampling import generate, load_generator
from qrkt.gan.training import GanTrainConfig, GanTrainResult, train_gan

__all__ = [
    "GAN_PRESETS",
    "Discriminator",
    "GanConfig",
    "GanPreset",
    "GanTrainConfig",
    "GanTrainResult",
    "Generator",
    "build_gan",
    "describe_gan_preset",
    "evaluate_gan",
    "generate",
    "get_gan_preset",
    "load_generator",
    "train_gan",
]
