"""Shared pytest options."""

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        action="append",
        default=[],
        help="run the backend conformance suite on this backend only (repeatable); "
        "default: every installed backend",
    )
