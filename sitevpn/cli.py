"""site-vpn command line: ``site-vpn plan <stack>``, ``site-vpn device-steps CURRENT TARGET``,
``site-vpn fleet ACTION GATEWAY``.

Exit codes: 0 clean (advisories allowed), 1 a mandatory policy is violated, 2 configuration or
usage error (bad stack file, unknown stack, invalid config, unusable policy config).
"""

import argparse
import ipaddress
import json
import re
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import NoReturn

from sitevpn.plan import PlanError, default_pack, make_plan


def _version() -> str:
    try:
        return metadata.version("site-vpn")
    except metadata.PackageNotFoundError:  # running from a checkout without install
        return "0+unknown"


class UsageError(Exception):
    """A command-line mistake (exit 2); the message never holds a secret."""


def _take_secrets(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """Take every ``--secret KEY=VALUE`` out of argv before argparse sees it: argparse echoes
    arguments it cannot use, and a secret must never reach an error message."""
    rest: list[str] = []
    secrets: dict[str, str] = {}
    args = iter(argv)
    for arg in args:
        if arg == "--":
            rest += [arg, *args]
            break
        if arg == "--secret":
            text = next(args, None)
            if text is None:
                raise UsageError("--secret needs KEY=VALUE (e.g. --secret psk=...)")
        elif arg.startswith("--secret="):
            text = arg.removeprefix("--secret=")
        else:
            rest.append(arg)
            continue
        key, sep, value = text.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_:.-]{0,99}", key, re.ASCII):
            raise UsageError(
                "--secret needs KEY=VALUE with a config key before '=' (e.g. --secret psk=...); "
                "what was given is not shown"
            )
        secrets[key] = value
    return rest, secrets


class _Parser(argparse.ArgumentParser):
    """argparse without echoing what it could not use beyond option names (a mistyped
    ``--secret`` option carries a secret)."""

    def error(self, message: str) -> NoReturn:
        head, sep, rest = message.partition("unrecognized arguments: ")
        if sep:
            shown = [
                a if re.fullmatch(r"--?[A-Za-z][A-Za-z0-9-]*", a) else "..." for a in rest.split()
            ]
            message = f"{head}unrecognized arguments: {' '.join(shown)} (values not shown)"
        message = re.sub(
            r"invalid (\w+ )?(choice|value): '.*?'", r"invalid \1\2 (not shown)", message
        )
        super().error(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="site-vpn", description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"site-vpn {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser(
        "plan",
        allow_abbrev=False,
        help="preview a stack offline and run the policy pack on it",
        description="Run the program for STACK under the Pulumi SDK in preview mode (no cloud, "
        "no Pulumi CLI), evaluate the policy pack as the engine would, print the plan.",
    )
    plan.add_argument("stack", help="stack name: stacks/Pulumi.<stack>.yaml")
    plan.add_argument("--project", default=".", help="project folder (default: .)")
    plan.add_argument("--policy-pack", help="policy pack folder (default: <project>/policies)")
    plan.add_argument("--no-policy-pack", action="store_true", help="skip the policies")
    plan.add_argument("--policy-pack-config", type=Path, help="JSON config for the pack")
    plan.add_argument(
        "--protocol",
        choices=["inprocess", "grpc"],
        default="inprocess",
        help="evaluate the pack in this process or as a plugin over gRPC",
    )
    plan.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    plan.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="value of a secure config key (or set PULUMI_CONFIG_<KEY>, e.g. "
        "PULUMI_CONFIG_SITE_VPN_PSK); otherwise it stays unknown",
    )
    plan.add_argument(
        "--device-config",
        type=Path,
        metavar="DIR",
        help="also write each site's customer device configuration (swanctl.conf, "
        "mode 0600) into DIR",
    )
    plan.add_argument(
        "--gateway-ip",
        action="append",
        default=[],
        metavar="MEMBER=ADDRESS",
        help="a deployed member's EIP (`pulumi stack output gatewayMembers`), so that the device "
        "configurations name it",
    )
    plan.add_argument("--timings", action="store_true", help="print a time breakdown to stderr")
    device_steps = commands.add_parser(
        "device-steps",
        allow_abbrev=False,
        help="split a change of a customer device's configuration into one load per tunnel",
        description="Write the files that take the device from CURRENT (the swanctl.conf it "
        "runs) to TARGET (its new one) one connection at a time: strongSwan restarts every "
        "connection whose settings changed when a file is loaded, so loading TARGET at once "
        "would bounce both tunnels of the pair.",
    )
    device_steps.add_argument("current", type=Path, help="the configuration the device runs")
    device_steps.add_argument("target", type=Path, help="its new configuration")
    device_steps.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder for the step files"
    )
    fleet = commands.add_parser(
        "fleet",
        allow_abbrev=False,
        help="preview, deploy or destroy a gateway stack and its site stacks (Automation API)",
        description="Run the real `pulumi` on a fleet: the gateway stack GATEWAY and every "
        "stack of the project whose file names it (site-vpn:gatewayStack), several site stacks "
        "at once. up: the gateway first, then the sites; destroy: the sites first, then the "
        "gateway. Exit 1 names every stack that failed or was left out; the others complete.",
    )
    fleet.add_argument("action", choices=["preview", "up", "destroy"])
    fleet.add_argument("gateway", help="the gateway stack")
    fleet.add_argument(
        "--parallel", type=int, default=4, metavar="N", help="site stacks at once (default 4)"
    )
    fleet.add_argument(
        "--policy-pack",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="run this policy pack in every preview and up (repeatable)",
    )
    fleet.add_argument(
        "--project", type=Path, default=Path("."), help="the Pulumi project folder (default: .)"
    )
    return parser


def _fleet(args: argparse.Namespace) -> int:
    from sitevpn.config import NAMESPACE
    from sitevpn.fleet.runner import Fleet

    if not 1 <= args.parallel <= 64:
        raise UsageError(f"--parallel must be 1 to 64, got {args.parallel}")
    try:
        fleet = Fleet.discover(args.project, args.gateway, NAMESPACE)
    except Exception as exc:  # the project cannot be read: one line naming it
        return _fail(f"fleet '{args.gateway}': {exc}")
    sys.stdout.write(
        f"fleet '{args.gateway}': gateway stack {args.gateway}, {len(fleet.sites)} site "
        f"stack(s): {', '.join(fleet.sites) or 'none'}; {args.action}, {args.parallel} at once\n"
    )
    runs = fleet.run(
        args.action,
        parallel=args.parallel,
        policy_packs=[str(p.resolve()) for p in args.policy_pack],
    )
    bad = [r for r in runs if not r.ok]
    if not bad:
        return 0
    sys.stderr.write(
        f"error: fleet '{args.gateway}': {len(bad)} of {len(runs)} stacks did not complete: "
        + "; ".join(f"{r.stack} ({r.state}: {r.reason})" for r in bad)
        + "\n"
    )
    return 1


def _gateway_ips(given: list[str]) -> dict[str, str]:
    ips = {}
    for text in given:
        member, sep, address = text.partition("=")
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            sep = ""
        if not sep or not re.fullmatch(r"[a-z][a-z0-9-]{0,31}", member):
            raise UsageError(
                f"--gateway-ip needs MEMBER=ADDRESS with an IPv4 address (e.g. "
                f"a=203.0.113.10), got {text[:60]!r}"
            )
        ips[member] = address
    return ips


def _device_steps(args: argparse.Namespace) -> int:
    from sitevpn.device_steps import DeviceConfigError, steps
    from sitevpn.devices import write_private

    try:
        loads = steps(args.current.read_text(), args.target.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"cannot read {exc.filename or 'a file'}: {exc.strerror or exc}")
    except DeviceConfigError as exc:
        return _fail(f"{args.current} -> {args.target}: {exc}")
    if not loads:
        sys.stdout.write(f"{args.current} and {args.target} configure the same tunnels: no step\n")
        return 0
    stem = args.target.name.removesuffix(".conf").removesuffix(".swanctl")
    for number, step in enumerate(loads, 1):
        path = write_private(args.out / f"{stem}.step{number}.swanctl.conf", step.text)
        sys.stdout.write(
            f"{number}. swanctl --load-all --file {path}\n"
            f"   then wait until `swanctl --list-sas --ike {step.connection}` shows its CHILD_SA "
            "INSTALLED (the other tunnel carries meanwhile)\n"
        )
    return 0


def _fail(message: str) -> int:
    for i, line in enumerate(message.strip().splitlines()):
        sys.stderr.write(("error: " if i == 0 else "       ") + line + "\n")
    return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``site-vpn`` console script."""
    try:
        return _main(sys.argv[1:] if argv is None else list(argv))
    except UsageError as exc:
        return _fail(str(exc))
    except Exception as exc:  # a bug: one line, no traceback, nothing from the input echoed
        return _fail(
            f"internal error ({type(exc).__name__}); nothing was written. Please report it with "
            "the stack file (without secrets)."
        )


def _main(argv: list[str]) -> int:
    started = time.perf_counter()
    argv, secrets = _take_secrets(argv)
    args = _parser().parse_args(argv)
    if args.command == "device-steps":
        return _device_steps(args)
    if args.command == "fleet":
        return _fleet(args)
    gateway_ips = _gateway_ips(args.gateway_ip)
    pack_config = None
    if args.policy_pack_config is not None:
        try:
            pack_config = json.loads(args.policy_pack_config.read_text())
        except (OSError, ValueError) as exc:
            return _fail(f"policy pack config {args.policy_pack_config}: {exc}")
        if not isinstance(pack_config, dict):
            return _fail(f"policy pack config {args.policy_pack_config}: expected a JSON object")
    pack_dir = None if args.no_policy_pack else (args.policy_pack or default_pack(args.project))
    try:
        plan = make_plan(
            args.project,
            args.stack,
            pack_dir=pack_dir,
            pack_config=pack_config,
            protocol=args.protocol,
            secrets=secrets,
        )
    except PlanError as exc:
        return _fail(str(exc))

    from sitevpn import render

    if args.device_config is not None:
        from sitevpn.devices import write_device_configs

        try:
            written = write_device_configs(plan, args.device_config, gateway_ips)
        except ValueError as exc:
            return _fail(str(exc))
        for path in written:
            sys.stderr.write(f"device configuration: {path} (mode 0600)\n")

    if args.format == "json":
        render.render_json(plan, sys.stdout)
    elif args.format == "sarif":
        render.render_sarif(plan, sys.stdout, _version())
    else:
        render.render_text(plan, sys.stdout)
    if args.timings:
        total = time.perf_counter() - started
        parts = ", ".join(f"{k} {v:.2f} s" for k, v in plan.timings.items())
        sys.stderr.write(f"timings: {parts}, total in process {total:.2f} s\n")
    return plan.exit_code


if __name__ == "__main__":
    sys.exit(main())
