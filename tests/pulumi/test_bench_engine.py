"""The engine benchmark runs once at its smallest size against the suite's cloud and prints its
tables (not timed: the figures live in docs/performance.md)."""

from bench import engine


def test_engine_bench(cloud, toolchain, capsys, monkeypatch):
    monkeypatch.setenv("SITE_VPN_CLOUD", str(cloud.state))
    assert engine.main(["--sizes", "1", "--up-sizes", "1"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| 1 |")]
    assert len(rows) == 2, out
    # plan, preview and preview + pack all measured, and up created the 1-site stack's resources
    assert all(float(cell) > 0 for cell in rows[0].split("|")[3:6]), rows[0]
    assert int(rows[1].split("|")[2]) > 20, rows[1]
