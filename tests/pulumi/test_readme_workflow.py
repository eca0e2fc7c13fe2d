"""The README's "Deploying for real" lines, run as written, in a fresh copy of the repository
(its tracked files, as a clone has them), as the project member of the suite's cloud: `make
toolchain` (linking the machine's cached build), `pulumi login --local`, `pulumi install`,
`pulumi stack init`, `pulumi config set --secret psk` (the PSK typed on standard input), preview
with the pack, up, `pulumi stack output gatewayIps`, destroy."""

import os
import re
import shlex
import shutil
import subprocess

from tests.conftest import PSK, ROOT
from tests.engine import end_session
from tests.neutron.test_deploy import vpn_objects_left


def readme_lines() -> list[str]:
    """The commands of the README's "Deploying for real" block, comments removed."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Deploying for real", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def fresh_copy(dest) -> None:
    """The repository's tracked (and new, unignored) files, as a clone would have them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def test_the_readme_deploys_as_written(cloud, toolchain, tmp_path):
    lines = readme_lines()
    assert lines[0] == "make toolchain" and "pulumi up --yes --policy-pack policies" in lines
    clone, home = tmp_path / "site-vpn", tmp_path / "home"
    clone.mkdir()
    home.mkdir()
    (tmp_path / "state").mkdir()
    fresh_copy(clone)
    openrc = cloud.credentials("member").environ()
    (clone / "openrc.sh").write_text(
        "".join(f"export {k}={shlex.quote(v)}\n" for k, v in openrc.items())
    )
    cache = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        # `pulumi login --local` means the passwd entry's ~/.pulumi (not $HOME's); the variable
        # overrides it, as it would for a user, so no run shares state with another.
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
        "XDG_CACHE_HOME": cache,  # the machine's toolchain build, pip and Go caches
        "SITE_VPN_UPSTREAM": str(
            os.environ.get("SITE_VPN_UPSTREAM", ROOT.parent / "shared" / "upstream")
        ),
        "PULUMI_CONFIG_PASSPHRASE": "readme-workflow",
        "LANG": "C.UTF-8",
    }
    script = "set -euo pipefail\n" + "\n".join(lines) + "\n"
    proc = subprocess.Popen(
        ["bash", "-c", script],
        cwd=clone,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(PSK + "\n", timeout=1200)
    except subprocess.TimeoutExpired:
        end_session(proc.pid)
        out, _ = proc.communicate()
        raise AssertionError(f"the README's commands ran past 20 minutes:\n{out[-4000:]}") from None
    finally:
        end_session(proc.pid)
    (tmp_path / "readme-workflow.log").write_text(out)  # the whole transcript, for a failure
    try:
        assert proc.returncode == 0, f"exit {proc.returncode}:\n{out[-4000:]}"
        assert re.search(r'\["198\.51\.100\.\d+",\s*"198\.51\.100\.\d+"\]', out), out[-2000:]
        assert "site-vpn@v0.1.0" in out  # the pack ran in preview and up
        assert PSK not in out
        stack_file = (clone / "stacks" / "Pulumi.dev.yaml").read_text()
        assert "secure: v1:" in stack_file and PSK not in stack_file
        assert (clone / ".venv" / "bin" / "python").exists()  # made by pulumi install
    finally:
        # whatever the script reached, nothing of it stays in the cloud
        subprocess.run(
            [
                "bash",
                "-c",
                "source .toolchain/env && source openrc.sh && "
                "pulumi destroy --yes --non-interactive --stack dev",
            ],
            cwd=clone,
            env=env,
            capture_output=True,
            timeout=600,
        )
    assert vpn_objects_left(cloud.member) == {}
