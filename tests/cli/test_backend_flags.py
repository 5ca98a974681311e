"""Backend flags in two passes: ``--backend`` first, then the flags its class declares."""

import inspect
from collections.abc import Iterator

import pytest

from qrkt.backends import Backend, BackendOption, Capabilities
from qrkt.backends.registry import backend_entries, register_backend, unregister_backend
from qrkt.cli import main, parse_args
from qrkt.cli.backend_flags import backend_options


def test_backend_flags_and_options_become_backend_options() -> None:
    device = ["--backend", "ibm_runtime", "--device", "fake_manila", "--shots", "100"]
    options = ["--option", "twirling=true", "--option", "cache_dir=/tmp/x"]
    args = parse_args(["evaluate", "--workdir", "w", *device, *options])
    assert backend_options(args) == (
        ("device", "fake_manila"),
        ("shots", 100),
        ("twirling", True),
        ("cache_dir", "/tmp/x"),
    )


def test_the_chosen_backend_flags_are_accepted() -> None:
    braket = ["--backend", "braket", "--device", "local_dm", "--noise", "0.01"]
    args = parse_args(["evaluate", "--workdir", "w", *braket, "--poll-timeout-seconds=60"])
    assert backend_options(args) == (
        ("device", "local_dm"),
        ("noise", 0.01),
        ("poll_timeout_seconds", 60.0),
    )
    args = parse_args(["predict", "--input", "a.png", "--backend", "qiskit", "--packing", "8"])
    assert backend_options(args) == (("packing", 8),)


def test_help_lists_the_chosen_backend_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["evaluate", "--backend", "braket", "--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    assert "options of backend 'braket':" in out
    assert "--poll-timeout-seconds S" in out and "--price-per-task USD" in out
    assert "--resilience-level" not in out


@pytest.mark.parametrize(
    ("backend", "flag", "message"),
    [
        (
            "jax",
            "--resilience-level",
            "argument --resilience-level: backend 'jax' does not take it (backends that do: "
            "ibm_runtime); jax's own options: --dtype, --block-size, --streams, --strategy",
        ),
        (
            "reference",
            "--max-retries",
            "argument --max-retries: backend 'reference' does not take it (backends that do: "
            "braket, cirq, ibm_runtime, qiskit); reference's own options: none",
        ),
    ],
)
def test_a_flag_of_other_backends_is_refused_naming_them(
    backend: str, flag: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["evaluate-gan", "--workdir", "w", flag, "1", "--backend", backend])
    assert exit.value.code == 2
    assert f"qrkt evaluate-gan: error: {message}\n" in capsys.readouterr().err


def test_an_unknown_backend_is_refused_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["predict", "--input", "a.png", "--backend", "nosuch"])
    assert (
        "qrkt predict: error: argument --backend: unknown backend 'nosuch'; known backends: "
        in capsys.readouterr().err
    )


@pytest.mark.parametrize("entry", backend_entries(), ids=lambda entry: entry.name)
def test_every_declared_option_is_a_keyword_of_its_backend(entry) -> None:
    backend = entry.load()
    names = [option.name for option in backend.cli_options]
    assert len(set(names)) == len(names)
    assert set(names) <= set(inspect.signature(backend).parameters)


class FlagBackend(Backend):
    """Declares a flag that every backend has (``--seed``) and one of ``evaluate``'s own."""

    name = "flags"
    capabilities = Capabilities(autodiff=False, exact=True, shots=False, noise=False, max_qubits=2)
    cli_options = (
        BackendOption("seed", int, "N", "a seed"),
        BackendOption("limit", int, "N", "taken by evaluate"),
        BackendOption("depth", int, "N", "its own"),
    )

    def _run(self, circuit: object, inputs: object, weights: object) -> object:
        raise NotImplementedError


@pytest.fixture
def flag_backend() -> Iterator[str]:
    register_backend("flags", f"{__name__}:FlagBackend")
    try:
        yield "flags"
    finally:
        unregister_backend("flags")


def test_a_declared_flag_that_the_command_has_is_left_to_it(flag_backend: str) -> None:
    argv = ["evaluate", "--workdir", "w", "--backend", flag_backend, "--seed", "3", "--limit", "8"]
    args = parse_args([*argv, "--depth", "2"])
    assert args.limit == 8
    assert backend_options(args) == (("depth", 2), ("seed", 3))


def test_an_option_with_a_list_value_is_a_clear_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    command = ["evaluate", "--workdir", "w", "--backend", "qiskit_aer", "--option", "shots=[1,2]"]
    assert main(command) == 2
    assert capsys.readouterr().err == (
        "qrkt: error: backend 'qiskit_aer' got shots=[1, 2], a list; an option takes one value "
        "(a number, a string, None or an object such as a noise model): give shots a single "
        "value\n"
    )


def test_a_malformed_option_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--workdir", "w", "--option", "noise"]) == 2
    assert "--option takes KEY=VALUE, got 'noise'" in capsys.readouterr().err


def test_a_shot_count_beyond_the_backend_is_refused_with_its_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("qiskit_aer")
    argv = ["evaluate", "--pretrained", "digits-qrk1", "--backend", "qiskit_aer"]
    assert main([*argv, "--shots", "1000000000000"]) == 2
    assert capsys.readouterr().err == (
        "qrkt: error: shots must be an integer from 1 to 10000000 (Aer keeps every shot's bit "
        "string in memory), or None for exact values, got 1000000000000; use fewer shots\n"
    )
