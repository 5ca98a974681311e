"""What the GAN tests share: the training runs that ``test_training`` checks (Python sources
run in subprocesses that compile at XLA's -O0, :mod:`tests.training.subprocesses`), and
compiling at -O0 in this process."""

from typing import Any

import jax

# 64 images, critic batches of 8, 2 critic steps: 4 generator steps per epoch; checkpoints at
# steps 3, 4 (epoch end), 6 and 8 (end). The learning rates decay, to test that they do.
SETTINGS = dict(
    preset="digits-transgan",
    epochs=2,
    batch_size=8,
    critic_steps=2,
    limit=64,
    checkpoint_every=3,
    grid_samples=16,
    decay=True,
)

CLASSICAL_RUNS = """
    import sys
    from pathlib import Path

    from qrkt.cli import main
    from qrkt.gan import GanTrainConfig, train_gan
    from qrkt.training import Progress

    out = Path(sys.argv[1])
    settings = {settings}
    flags = [
        f"--{{k.replace('_', '-')}}={{v}}"
        for k, v in settings.items()
        if k not in ("preset", "decay")
    ]
    argv = ["train-gan", "--preset", settings["preset"], *flags, "--decay", "--workdir"]
    assert main([*argv, str(out / "straight")]) == 0

    class Crash(Progress):
        def __init__(self, at):
            self.at = at

        def step_finished(self, step, samples):
            if step == self.at:
                raise KeyboardInterrupt

    config = GanTrainConfig(**settings)
    for crash in (2, 7):  # before the first checkpoint; mid-epoch 2, after the one at step 6
        try:
            train_gan(config, out / f"crash-{{crash}}", progress=Crash(crash))
        except KeyboardInterrupt:
            pass
        if crash == 2:
            train_gan(config, out / f"crash-{{crash}}", resume=True)
        else:  # through the command line once
            assert main([*argv, str(out / f"crash-{{crash}}"), "--resume"]) == 0
"""

QUANTUM_RUN = """
    import sys
    from pathlib import Path

    import numpy as np

    from qrkt.gan import GanTrainConfig, generate, load_generator, train_gan

    out = Path(sys.argv[1])
    config = GanTrainConfig(
        preset="digits-qgan", epochs=1, batch_size=4, critic_steps=2, limit=16, grid_samples=4
    )
    train_gan(config, out)
    trained = load_generator(out)
    latents = np.random.default_rng(0).normal(size=(2, trained.model.latent))
    on_jax = generate(trained.model, trained.params, latents)
    on_reference = generate(trained.model, trained.params, latents, backend="reference")
    print(np.abs(on_jax - on_reference).max(), np.abs(on_jax).max())
"""


def compile_fast(function: Any, *args: Any) -> Any:
    """``jax.jit(function)`` for ``args``, compiled at XLA's -O0: about 3x faster to compile."""
    lowered = jax.jit(function).lower(*args)
    return lowered.compile(compiler_options={"xla_backend_optimization_level": 0})
