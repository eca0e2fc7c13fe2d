"""Each benchmark runs at its smallest size and prints its table (not timed: figures live in
docs/performance.md)."""

from bench import plan, policy_pack, program


def test_policy_pack_bench(capsys):
    assert policy_pack.main(["--sizes", "1", "--protocols", "inprocess", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| site-vpn / empty |" in out and "| 1 | " in out
    assert "overlap sweep over 10,000 CIDRs:" in out


def test_program_bench(capsys):
    assert program.main(["--sizes", "1", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| 1 | 24 / 19 |" in out  # components register 24 resources, the plain program 19


def test_plan_bench(capsys):
    assert plan.main(["--runs", "1", "--large", "3"]) == 0
    out = capsys.readouterr().out
    assert "| dev | 1 |" in out and "| generated, 3 sites | 1 |" in out
    assert "heaviest top-level imports" in out
