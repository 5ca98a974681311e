"""Shared pytest options."""

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        action="append",
        default=[],
        help="run the backend conformance suite on this backend only (repeatable); "
        "default: every installed backend",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Tests compile in a process of their own, never from a cache of earlier runs.
    os.environ.setdefault("QRKT_COMPILE_CACHE", "off")
