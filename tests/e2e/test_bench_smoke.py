"""The tunnel benchmark runs once, against the suite's cloud."""

from bench import tunnels


def test_tunnels_bench(cloud, capsys, monkeypatch):
    monkeypatch.setenv("SITE_VPN_CLOUD", str(cloud.state))
    assert tunnels.main(["--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "| customer start -> both CHILD_SAs | 1 |" in out
    assert "| failover: member down -> traffic both ways | 1 |" in out
