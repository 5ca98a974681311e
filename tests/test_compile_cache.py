import subprocess
import sys
from pathlib import Path

import pytest

from qrkt.compile_cache import compile_cache_dir


@pytest.mark.parametrize("setting", ["off", "OFF", "0", "false", "no"])
def test_the_cache_is_turned_off_by_the_environment(
    monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    monkeypatch.setenv("QRKT_COMPILE_CACHE", setting)
    assert compile_cache_dir() is None


def test_the_cache_is_in_the_user_cache_directory_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("QRKT_COMPILE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compile_cache_dir() == tmp_path / "qrkt" / "jax"
    monkeypatch.setenv("QRKT_COMPILE_CACHE", str(tmp_path / "mine"))
    assert compile_cache_dir() == tmp_path / "mine"


_PROGRAM = """
import jax, jax.numpy as jnp
jax.jit(jnp.sin)(1.0)  # a compile before the cache is set
from qrkt.compile_cache import use_compile_cache
print(use_compile_cache())
jax.jit(lambda x: jnp.cos(x) * 3)(2.0)
"""


def test_a_compile_after_use_compile_cache_is_written_to_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run = subprocess.run(
        [sys.executable, "-c", _PROGRAM],
        env={"QRKT_COMPILE_CACHE": str(cache), "PATH": "/usr/bin:/bin", "JAX_PLATFORMS": "cpu"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == str(cache)
    assert any(cache.iterdir()), "nothing was written to the cache"


def test_a_cache_directory_the_user_gave_jax_is_kept(tmp_path: Path) -> None:
    program = "from qrkt.compile_cache import use_compile_cache; print(use_compile_cache())"
    run = subprocess.run(
        [sys.executable, "-c", program],
        env={"JAX_COMPILATION_CACHE_DIR": str(tmp_path / "theirs"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == str(tmp_path / "theirs")
