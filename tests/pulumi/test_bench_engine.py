"""The engine benchmark runs once at its smallest size against the suite's cloud and prints its
tables (not timed: the figures live in docs/performance.md)."""

from bench import engine


def test_engine_bench(cloud, toolchain, capsys, monkeypatch):
    monkeypatch.setenv("SITE_VPN_CLOUD", str(cloud.state))
    assert engine.main(["--sizes", "1", "--up-sizes", "1", "--layouts", "stack,files"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| 1 |")]
    assert len(rows) == 3, out
    # both layouts: the same resources; plan, preview and preview + pack all measured; the
    # site files leave the stack config smaller
    cells = [[c.strip() for c in row.split("|")[1:-1]] for row in rows[:2]]
    assert [c[1] for c in cells] == ["stack file", "site files"], rows
    assert cells[0][3] == cells[1][3] and int(cells[0][3]) > 20, rows
    assert int(cells[1][2]) < int(cells[0][2]), rows
    assert all(float(x) > 0 for c in cells for x in c[4:7]), rows
    # and up created the 1-site stack's resources
    assert int(rows[2].split("|")[2]) > 20, rows[2]
