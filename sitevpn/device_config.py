"""Customer-device configuration: one site's resolved design -> strongSwan ``swanctl.conf``.

Pure (no Pulumi import). The customer device mirrors the cloud exactly: neutron-vpnaas is
policy-based, so the device is too (local_ts = on-premises subnets, remote_ts = the VPC's local
subnets); proposals, PFS, lifetimes, DPD and identities come from the same IKE/IPsec policy
values the components register. Tunnel interface addresses are written as comments, for devices
that are configured route-based.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields, is_dataclass
from typing import TYPE_CHECKING

from sitevpn.design import Crypto, SiteDesign, resolve_site, with_gateway_ips
from sitevpn.enums import HaMode

if TYPE_CHECKING:
    from sitevpn.config import StackConfig

DH_GROUPS = {
    "group2": "modp1024",
    "group5": "modp1536",
    "group14": "modp2048",
    "group15": "modp3072",
    "group16": "modp4096",
    "group17": "modp6144",
    "group18": "modp8192",
    "group19": "ecp256",
    "group20": "ecp384",
    "group21": "ecp521",
    "group22": "modp1024s160",
    "group23": "modp2048s224",
    "group24": "modp2048s256",
    "group25": "ecp192",
    "group26": "ecp224",
    "group27": "ecp224bp",
    "group28": "ecp256bp",
    "group29": "ecp384bp",
    "group30": "ecp512bp",
    "group31": "curve25519",
}
INTEGRITY = {
    "sha1": "sha1",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
    "aes-xcbc": "aesxcbc",
    "aes-cmac": "aescmac",
}
# Unknown gateway addresses (an offline plan) are written as this, to be filled in by hand.
PLACEHOLDER = "<{what}>"


def cipher(encryption: str) -> str:
    """neutron's encryption name -> strongSwan keyword (aes-256 -> aes256, aes-128-gcm-16 ->
    aes128gcm16)."""
    return encryption.replace("-", "")


def is_aead(encryption: str) -> bool:
    """GCM and CCM ciphers carry their own integrity."""
    return "gcm" in encryption or "ccm" in encryption


def ike_proposal(encryption: str, auth: str, group: str) -> str:
    """IKE proposal, e.g. aes-256 + sha256 + group15 -> aes256-sha256-modp3072."""
    integrity = f"prf{INTEGRITY[auth]}" if is_aead(encryption) else INTEGRITY[auth]
    return f"{cipher(encryption)}-{integrity}-{DH_GROUPS[group]}"


def esp_proposal(encryption: str, auth: str, pfs: str) -> str:
    """ESP proposal with the PFS group, e.g. aes256-sha256-modp3072."""
    if is_aead(encryption):
        return f"{cipher(encryption)}-{DH_GROUPS[pfs]}"
    return f"{cipher(encryption)}-{INTEGRITY[auth]}-{DH_GROUPS[pfs]}"


def ah_proposal(auth: str, pfs: str) -> str:
    """AH proposal (integrity only) with the PFS group, e.g. sha256-modp3072."""
    return f"{INTEGRITY[auth]}-{DH_GROUPS[pfs]}"


# The device's DPD action: neutron's restart/hold map to strongSwan's start/trap ("restart"
# re-initiates; "hold" re-establishes on traffic), clear stays clear.
DPD_ACTIONS = {"restart": "restart", "hold": "trap", "clear": "clear", "disabled": "none"}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Everything written into swanctl.conf outside the quoted secret is one of these: a name, an
# address, a CIDR, an identity or an algorithm (or an offline placeholder).
_TOKEN = re.compile(r"[A-Za-z0-9._:/@+-]{1,255}|<[A-Za-z0-9 ._-]{1,80}>", re.ASCII)


def _plain(what: str, value: object) -> None:
    if isinstance(value, tuple | list):
        for item in value:
            _plain(what, item)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _plain(f"{what}.{key}", item)
    elif is_dataclass(value):
        for f in fields(value):
            _plain(f"{what}.{f.name}", getattr(value, f.name))
    elif isinstance(value, str) and not _TOKEN.fullmatch(value):
        raise ValueError(
            f"device config: {what} = {value[:60]!r} is not a plain token (letters, digits and "
            "._:/@+-); refusing to write it into swanctl.conf"
        )


def _gateway(conn) -> str:
    return conn.gateway_address or PLACEHOLDER.format(what=f"EIP of gateway member {conn.member}")


# What no value may carry into a resource or a device config: controls, invisible format
# characters (bidi overrides) and line or paragraph separators.
UNPRINTABLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def first_unprintable(text: str) -> str | None:
    """The first character of ``text`` in an UNPRINTABLE category, if any."""
    return next((c for c in text if unicodedata.category(c) in UNPRINTABLE), None)


def _check_secret(psk: str) -> None:
    if first_unprintable(psk) is not None:
        raise ValueError("device config: the PSK contains a control character (value not shown)")


def _ah(crypto: Crypto) -> bool:
    return crypto.ipsec["transform"] == "ah"


def _listed(proposals: Iterable[str]) -> str:
    """Proposals in order of preference, each once."""
    return ", ".join(dict.fromkeys(proposals))


def render_swanctl(design: SiteDesign, psks: str | Sequence[str]) -> str:
    """The customer device's swanctl.conf for one site (both connections of its pair). ``psks``:
    the pre-shared key of both connections, or each connection's (connection 1 first)."""
    # Second line of defence behind the config's validation: nothing but plain tokens, so no
    # value can open a block or a line of its own in the file.
    _plain("design", design)
    psks = [psks] * len(design.connections) if isinstance(psks, str) else list(psks)
    if len(psks) != len(design.connections):
        raise ValueError(
            f"device config: {len(psks)} pre-shared keys for {len(design.connections)} connections"
        )
    for psk in psks:
        _check_secret(psk)
    c = design.crypto
    ike_settings, esp, dpd = c.ike, c.ipsec, c.dpd
    ike_life, esp_life = int(ike_settings["lifetime_seconds"]), int(esp["lifetime_seconds"])
    # The design's proposals first; during a change of algorithms also the previous ones, so
    # that each tunnel negotiates whichever its cloud connection has at the moment.
    suites = [c] + ([design.accepted] if design.accepted else [])
    ike = _listed(
        ike_proposal(s.ike["encryption"], s.ike["auth"], s.ike["dh_group"]) for s in suites
    )
    versions = {s.ike["version"] for s in suites}
    version = ike_settings["version"][-1] if len(versions) == 1 else "0"  # 0: either
    # AH (integrity only) as the driver renders it (ah=<auth>-<pfs>); otherwise ESP
    ah = _listed(ah_proposal(s.ipsec["auth"], s.ipsec["pfs"]) for s in suites if _ah(s))
    esp_ = _listed(
        esp_proposal(s.ipsec["encryption"], s.ipsec["auth"], s.ipsec["pfs"])
        for s in suites
        if not _ah(s)
    )
    child_proposals = [f"ah_proposals = {ah}"] if ah else []
    child_proposals += [f"esp_proposals = {esp_}"] if esp_ else []
    lines = [
        f"# site-vpn: customer gateway configuration for site {design.site} "
        f"(stack {design.stack}), HA mode {design.ha_mode}.",
        "# Policy-based, like neutron-vpnaas: traffic selectors are the subnets below.",
        f"#   on-premises (local_ts): {', '.join(design.onprem_cidrs)}",
        f"#   VPC (remote_ts):        {', '.join(design.vpc_cidrs)}",
        "# Tunnel interface addresses, for a route-based device (VTI/XFRM interface per",
        "# connection, then static routes to the VPC subnets over both):",
    ]
    for conn in design.connections:
        lines.append(
            f"#   {conn.key} ({conn.role}): device {conn.tunnel_customer}  <->  "
            f"cloud {conn.tunnel_gateway}"
        )
    lines += [
        f"# MTU of the connections: {design.mtu}.",
        f"# DPD: {dpd['action']}, every {dpd['interval_seconds']} s, dead after "
        f"{dpd['timeout_seconds']} s. IKEv2",
        "# counts retransmissions instead of a timeout: set charon.retransmit_* in",
        "# strongswan.conf so that they give up within that time.",
        "",
        "connections {",
    ]
    for conn in design.connections:
        name = f"{design.site}-{conn.key}"
        # Lower values win: in active/standby the active policy outranks the standby one, so
        # traffic returns to the active link after recovery (active-active: automatic).
        standby = design.ha_mode == HaMode.ACTIVE_STANDBY
        priority = (1000 if conn.role == "active" else 2000) if standby else 0
        lines += [
            f"    {name} {{",
            f"        version = {version}",
            f"        local_addrs = {conn.customer_address}",
            f"        remote_addrs = {_gateway(conn)}",
            f"        proposals = {ike}",
            f"        rekey_time = {ike_life * 9 // 10}s",
            f"        over_time = {ike_life - ike_life * 9 // 10}s",
            f"        dpd_delay = {dpd['interval_seconds']}s",
            f"        dpd_timeout = {dpd['timeout_seconds']}s",
            "        keyingtries = 0",
            "        mobike = no",
            "        local {",
            "            auth = psk",
            f"            id = {conn.customer_id}",
            "        }",
            "        remote {",
            "            auth = psk",
            f"            id = {_gateway(conn)}",
            "        }",
            "        children {",
            f"            {name} {{",
            f"                local_ts = {', '.join(design.onprem_cidrs)}",
            f"                remote_ts = {', '.join(design.vpc_cidrs)}",
            *(f"                {line}" for line in child_proposals),
            f"                rekey_time = {esp_life * 9 // 10}s",
            f"                life_time = {esp_life}s",
            f"                mode = {esp['encapsulation']}",
            f"                dpd_action = {DPD_ACTIONS.get(dpd['action'], 'restart')}",
            "                start_action = start",
            "                close_action = start",
        ]
        if priority:
            lines.append(f"                priority = {priority}")
        lines += ["            }", "        }", "    }"]
    lines += ["}", "", "secrets {"]
    for conn, psk in zip(design.connections, psks, strict=True):
        lines += [
            f"    ike-{design.site}-{conn.key} {{",
            f"        id-1 = {conn.customer_id}",
            f"        id-2 = {_gateway(conn)}",
            f"        secret = {_quote(psk)}",
            "    }",
        ]
    lines += ["}", ""]
    return "\n".join(lines)


def designs_from_config(
    cfg: "StackConfig", stack: str, gateway_ips: Mapping[str, str | None] | None = None
) -> list[SiteDesign]:
    """Every site's design from a validated stack config, resolved as the components resolve it
    (the offline plan's view: gateway addresses are unknown until deployment unless given)."""
    members = [m.name for m in cfg.gateway.members]
    return [
        with_gateway_ips(
            resolve_site(
                stack=stack,
                ha_mode=cfg.gateway.ha_mode,
                members=members,
                vpc_cidrs=[str(s.cidr) for s in cfg.vpc.subnets],
                site=site.args(),
                stack_wide=cfg.stack_wide_args(),
            ),
            dict(gateway_ips or {}),
        )
        for site in cfg.sites
    ]
