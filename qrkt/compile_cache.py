"""JAX's persistent compilation cache, on by default for qrkt's trainings and evaluations.

Compiling a model's steps takes seconds to minutes; with the cache, a run that compiles what
an earlier run on this machine compiled (the same model, settings and shapes, the same JAX)
reads the executable from disk instead. :func:`use_compile_cache` turns it on where qrkt's
entry points start (``train_and_evaluate`` and ``train_gan``, through their shared loop,
``evaluate`` and ``evaluate_gan``); it keeps a cache directory that the user configured for JAX.

Where it lives, from ``QRKT_COMPILE_CACHE``: a directory, or ``off`` to turn the cache off;
unset, ``$XDG_CACHE_HOME/qrkt/jax`` (``~/.cache/qrkt/jax``). JAX evicts nothing by itself:
delete the directory to reclaim its space. Programs that call back to the host (the
simulators outside JAX) are never cached, by JAX's rule.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

ENVIRONMENT_VARIABLE = "QRKT_COMPILE_CACHE"
_OFF = {"off", "0", "false", "no"}


def compile_cache_dir() -> Path | None:
    """The directory that :func:`use_compile_cache` uses, or ``None`` if it is turned off."""
    setting = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if setting.lower() in _OFF:
        return None
    if setting:
        return Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "qrkt" / "jax"


def use_compile_cache() -> Path | None:
    """Point JAX's persistent compilation cache at :func:`compile_cache_dir`, unless JAX has one
    already; return the directory in use, or ``None`` if the cache is off."""
    import jax
    from jax.experimental.compilation_cache import compilation_cache

    configured = jax.config.jax_compilation_cache_dir
    if configured:
        return Path(configured)
    path = compile_cache_dir()
    if path is None:
        return None
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        logger.warning("no compilation cache: cannot create %s (%s)", path, error)
        return None
    compilation_cache.set_cache_dir(str(path))  # read at the first compile that may use it
    # Every executable, not only those over JAX's default of one second: a model's many small
    # ones add up to seconds.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return path
