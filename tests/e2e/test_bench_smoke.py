"""The tunnel benchmark runs once (it needs the same root and strongSwan as the e2e suite)."""

from bench import tunnels


def test_tunnels_bench(lab, capsys):  # the lab fixture checks root and strongSwan
    assert tunnels.main(["--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "daemon start -> both CHILD_SAs installed | 1 |" in out
