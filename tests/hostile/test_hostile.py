"""Hostile stack files and arguments through `site-vpn plan`, end to end.

Every input ends in exit 0, 1 or 2 within a time bound, with no traceback, no "internal error"
and no secret in the output. The checked-in corpus (corpus/, EXPECTED.tsv) holds one file per
defect class found by hand, each with the exit code and the message it must produce; hypothesis
adds arbitrary bytes, arbitrary YAML documents grafted into a valid stack, and arbitrary
`--secret` arguments.
"""

import contextlib
import copy
import re
import resource
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sitevpn import cli
from tests.conftest import ROOT, stack_config

HERE = Path(__file__).parent
SECRET = "Hostile-Corpus-PSK+never/shown=42"
SECONDS = 20  # per input; the slowest valid plan takes about 1 s
MAX_GROWTH_KIB = 512 * 1024  # resident memory an input may add to the process
TRACEBACK_MARKERS = ("Traceback", "internal error", 'File "')


def _corpus() -> list[tuple[str, int, str, str]]:
    rows = []
    for line in (HERE / "EXPECTED.tsv").read_text().splitlines()[1:]:
        name, code, pattern, note = line.split("\t")
        rows.append((name, int(code), pattern, note))
    return rows


CORPUS = _corpus()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project whose stack `x` each test writes."""
    folder = tmp_path_factory.mktemp("hostile")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    (folder / "stacks").mkdir()
    for name in ("components", "policies"):
        (folder / name).symlink_to(ROOT / name)
    return folder


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def expire(*_):
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def plan(project: Path, data: bytes, capsys, *extra: str) -> tuple[int, str]:
    """Write ``data`` as stack `x`, run `site-vpn plan x`, return (exit code, all output)."""
    (project / "stacks" / "Pulumi.x.yaml").write_bytes(data)
    capsys.readouterr()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with _time_limit(SECONDS):
        code = cli.main(["plan", "x", "--project", str(project), *extra])
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    out, err = capsys.readouterr()
    output = out + err
    assert code in (0, 1, 2), output
    assert not any(m in output for m in TRACEBACK_MARKERS), output
    assert SECRET not in output
    assert grown < MAX_GROWTH_KIB, f"resident memory grew by {grown} KiB"
    if code == 2:
        assert err.startswith("error: ") and out == "", output
    return code, output


@pytest.fixture
def secret_env(monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_SITE_VPN_PSK", SECRET)


@pytest.mark.parametrize(("name", "code", "pattern", "note"), CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus(project, capsys, secret_env, name, code, pattern, note):
    got, output = plan(project, (HERE / "corpus" / f"{name}.yaml").read_bytes(), capsys)
    assert got == code, f"{note}: exit {got}\n{output}"
    if pattern:
        assert re.search(pattern, output), f"{note}: /{pattern}/ not in\n{output}"


def test_corpus_covers_every_file():
    assert sorted(p.stem for p in (HERE / "corpus").iterdir()) == sorted(c[0] for c in CORPUS)


def test_a_file_over_the_size_bound_is_refused_unread(project, capsys):
    data = b"config:\n  other:big: " + b"x" * (4 * 1024 * 1024) + b"\n"
    code, output = plan(project, data, capsys)
    assert code == 2 and "larger than 4 MiB" in output


# --- generated ---------------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "config:\n",
        "  site-vpn:sites:\n",
        "  site-vpn:mtu: ",
        "  other:x: ",
        "- ",
        "[",
        "]",
        "{",
        "}",
        "&a ",
        "*a",
        "<<: ",
        "!!binary ",
        "? ",
        ": ",
        "\n",
        "\t",
        "  ",
        '"',
        "'",
        "#",
        "---\n",
        "\x00",
        "\u202e",
        "1" * 30,
        "true",
        "0x1F",
        "\u0661\u0662",
        "172.16.0.0/16",
    ]
)
YAMLISH = st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=40).map(
    lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
)
HYPOTHESIS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(data=st.one_of(st.binary(max_size=600), YAMLISH))
@example(data=b"config:\n  site-vpn:mtu: [" * 100)
@example(data=b"\xef\xbb\xbf\xff")
def test_arbitrary_bytes(project, capsys, data):
    plan(project, data, capsys)


HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "dc1\n}\nevil {",
            "vpn.example.net\n",
            "\u0661\u0667\u0662.16.0.0/16",
            "169.254.70.\u0968/30",
            "a\x00b",
            "yes",
            "1:30",
            "2024-01-01",
            "\u202edc1",
        ]
    ),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    HOSTILE_TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(HOSTILE_TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(node, prefix=()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


DEV = {f"site-vpn:{k}": v for k, v in stack_config("dev").items()}
DEV_PATHS = [p for p in _paths(DEV) if p]


@HYPOTHESIS
@given(path=st.sampled_from(DEV_PATHS), value=VALUES, extra=st.booleans())
@example(
    path=("site-vpn:sites", 0, "tunnels", 0, "customer"), value="169.254.70.\u0968/30", extra=False
)
@example(path=("site-vpn:gateway", "interconnectSubnet"), value="192.168.\u0e52.0/24", extra=True)
@example(path=("site-vpn:sites", 0, "name"), value="dc1\n}\nevil {", extra=False)
def test_arbitrary_values_grafted_into_a_valid_stack(
    project, capsys, secret_env, path, value, extra
):
    values = copy.deepcopy(DEV)
    node = values
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    if extra:
        values["site-vpn:psk"] = {"secure": "v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB"}
    text = yaml.safe_dump({"config": values}, allow_unicode=True)
    plan(project, text.encode("utf-8", "surrogatepass"), capsys)


# Letters that no message of ours spells, so a 5-character run of them in the output can only
# come from the secret.
SECRET_ALPHABET = "BCDFGHJMNPQRSTWXZ23456789#%"


@HYPOTHESIS
@given(
    secret=st.text(alphabet=SECRET_ALPHABET, min_size=10, max_size=30),
    shape=st.sampled_from(
        [
            ["--secret", "{s}"],
            ["--secret={s}"],
            ["--secret", "psk{s}"],
            ["--secret", "{s}=psk"],
            ["--secret", "-{s}"],
            ["--secre={s}"],
            ["--secret", "x={s}", "{s}"],
            ["--secret", "{s}={s}"],
            ["--format", "{s}"],
            ["{s}"],
            ["--secret"],
        ]
    ),
)
def test_a_malformed_secret_argument_never_shows_the_secret(project, capsys, secret, shape):
    args = [part.format(s=secret) for part in shape]
    (project / "stacks" / "Pulumi.x.yaml").write_bytes(
        (ROOT / "stacks" / "Pulumi.dev.yaml").read_bytes()
    )
    capsys.readouterr()
    with _time_limit(SECONDS), contextlib.suppress(SystemExit):
        cli.main(["plan", "x", "--project", str(project), *args])
    out, err = capsys.readouterr()
    output = out + err
    leaked = [secret[i : i + 5] for i in range(len(secret) - 4) if secret[i : i + 5] in output]
    assert not leaked, output
