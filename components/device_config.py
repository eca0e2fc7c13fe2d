"""Customer-device configuration: one site's resolved design -> strongSwan ``swanctl.conf``.

Pure (no Pulumi import). The customer device mirrors the cloud exactly: neutron-vpnaas is
policy-based, so the device is too (local_ts = on-premises subnets, remote_ts = the VPC's local
subnets); proposals, PFS, lifetimes, DPD and identities come from the same IKE/IPsec policy
values the components register. Tunnel interface addresses are written as comments, for devices
that are configured route-based.
"""

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import TYPE_CHECKING

from components import defaults
from components.enums import HaMode
from components.topology import connection_plan, tunnel_other_end

if TYPE_CHECKING:
    from components.config import StackConfig

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


@dataclass(frozen=True)
class Crypto:
    """The IKE/IPsec/DPD values both ends must agree on."""

    ike_version: str
    ike_encryption: str
    ike_auth: str
    ike_dh_group: str
    ike_lifetime: int
    esp_encryption: str
    esp_auth: str
    pfs: str
    esp_lifetime: int
    transform: str
    encapsulation: str
    dpd_action: str
    dpd_interval: int
    dpd_timeout: int


@dataclass(frozen=True)
class Connection:
    """One connection as the customer device sees it."""

    key: str
    role: str
    gateway_address: str
    customer_address: str
    customer_id: str
    tunnel_gateway: str
    tunnel_customer: str


@dataclass(frozen=True)
class SiteDesign:
    """Everything the customer device of one site needs (no secrets)."""

    stack: str
    site: str
    ha_mode: str
    vpc_cidrs: tuple[str, ...]
    onprem_cidrs: tuple[str, ...]
    connections: tuple[Connection, ...]
    crypto: Crypto
    mtu: int


def site_design(
    *,
    stack: str,
    site: str,
    ha_mode: str,
    members: Sequence[str],
    gateway_ips: Mapping[str, str | None],
    customer_addresses: Sequence[str],
    customer_ike_id: str | None,
    vpc_cidrs: Sequence[str],
    onprem_cidrs: Sequence[str],
    tunnels: Sequence[Mapping[str, str]],
    ike: Mapping[str, object],
    ipsec: Mapping[str, object],
    dpd: Mapping[str, object],
    mtu: int | None,
) -> SiteDesign:
    """Resolve a site's design from the same values the components take (strong defaults for
    anything left out, the same member/customer mapping as the pair)."""
    plan = connection_plan(HaMode(ha_mode), members, customer_addresses)
    connections = []
    for conn, tunnel in zip(plan, tunnels, strict=True):
        customer = str(tunnel["customer"])
        gateway_ip = gateway_ips.get(conn.member)
        connections.append(
            Connection(
                key=conn.role.key,
                role=conn.role.role,
                gateway_address=gateway_ip
                or PLACEHOLDER.format(what=f"EIP of gateway member {conn.member}"),
                customer_address=conn.customer_address,
                customer_id=customer_ike_id or conn.customer_address,
                tunnel_gateway=str(tunnel.get("gateway") or tunnel_other_end(customer)),
                tunnel_customer=customer,
            )
        )
    crypto = Crypto(
        ike_version=str(ike.get("version", defaults.IKE_VERSION)),
        ike_encryption=str(ike.get("encryption", defaults.ENCRYPTION)),
        ike_auth=str(ike.get("auth", defaults.AUTH)),
        ike_dh_group=str(ike.get("dh_group", defaults.DH_GROUP)),
        ike_lifetime=int(ike.get("lifetime_seconds", defaults.IKE_LIFETIME_SECONDS)),
        esp_encryption=str(ipsec.get("encryption", defaults.ENCRYPTION)),
        esp_auth=str(ipsec.get("auth", defaults.AUTH)),
        pfs=str(ipsec.get("pfs", defaults.DH_GROUP)),
        esp_lifetime=int(ipsec.get("lifetime_seconds", defaults.IPSEC_LIFETIME_SECONDS)),
        transform=str(ipsec.get("transform", defaults.TRANSFORM)),
        encapsulation=str(ipsec.get("encapsulation", defaults.ENCAPSULATION)),
        dpd_action=str(dpd.get("action", defaults.DPD_ACTION)),
        dpd_interval=int(dpd.get("interval_seconds", defaults.DPD_INTERVAL_SECONDS)),
        dpd_timeout=int(dpd.get("timeout_seconds", defaults.DPD_TIMEOUT_SECONDS)),
    )
    return SiteDesign(
        stack=stack,
        site=site,
        ha_mode=str(ha_mode),
        vpc_cidrs=tuple(vpc_cidrs),
        onprem_cidrs=tuple(onprem_cidrs),
        connections=tuple(connections),
        crypto=crypto,
        mtu=mtu or defaults.MTU,
    )


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
    elif is_dataclass(value):
        for f in fields(value):
            _plain(f"{what}.{f.name}", getattr(value, f.name))
    elif isinstance(value, str) and not _TOKEN.fullmatch(value):
        raise ValueError(
            f"device config: {what} = {value[:60]!r} is not a plain token (letters, digits and "
            "._:/@+-); refusing to write it into swanctl.conf"
        )


def _check_secret(psk: str) -> None:
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in psk):
        raise ValueError("device config: the PSK contains a control character (value not shown)")


def render_swanctl(design: SiteDesign, psk: str) -> str:
    """The customer device's swanctl.conf for one site (both connections of its pair)."""
    # Second line of defence behind the config's validation: nothing but plain tokens, so no
    # value can open a block or a line of its own in the file.
    _plain("design", design)
    _check_secret(psk)
    c = design.crypto
    ike = ike_proposal(c.ike_encryption, c.ike_auth, c.ike_dh_group)
    # AH (integrity only) as the driver renders it (ah=<auth>-<pfs>); otherwise ESP
    child_proposals = (
        f"ah_proposals = {ah_proposal(c.esp_auth, c.pfs)}"
        if c.transform == "ah"
        else f"esp_proposals = {esp_proposal(c.esp_encryption, c.esp_auth, c.pfs)}"
    )
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
        f"# DPD: {c.dpd_action}, every {c.dpd_interval} s, dead after {c.dpd_timeout} s. IKEv2",
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
            f"        version = {c.ike_version[-1]}",
            f"        local_addrs = {conn.customer_address}",
            f"        remote_addrs = {conn.gateway_address}",
            f"        proposals = {ike}",
            f"        rekey_time = {c.ike_lifetime * 9 // 10}s",
            f"        over_time = {c.ike_lifetime - c.ike_lifetime * 9 // 10}s",
            f"        dpd_delay = {c.dpd_interval}s",
            f"        dpd_timeout = {c.dpd_timeout}s",
            "        keyingtries = 0",
            "        mobike = no",
            "        local {",
            "            auth = psk",
            f"            id = {conn.customer_id}",
            "        }",
            "        remote {",
            "            auth = psk",
            f"            id = {conn.gateway_address}",
            "        }",
            "        children {",
            f"            {name} {{",
            f"                local_ts = {', '.join(design.onprem_cidrs)}",
            f"                remote_ts = {', '.join(design.vpc_cidrs)}",
            f"                {child_proposals}",
            f"                rekey_time = {c.esp_lifetime * 9 // 10}s",
            f"                life_time = {c.esp_lifetime}s",
            f"                mode = {c.encapsulation}",
            f"                dpd_action = {DPD_ACTIONS.get(c.dpd_action, 'restart')}",
            "                start_action = start",
            "                close_action = start",
        ]
        if priority:
            lines.append(f"                priority = {priority}")
        lines += ["            }", "        }", "    }"]
    lines += ["}", "", "secrets {"]
    for conn in design.connections:
        lines += [
            f"    ike-{design.site}-{conn.key} {{",
            f"        id-1 = {conn.customer_id}",
            f"        id-2 = {conn.gateway_address}",
            f"        secret = {_quote(psk)}",
            "    }",
        ]
    lines += ["}", ""]
    return "\n".join(lines)


def designs_from_config(
    cfg: "StackConfig", stack: str, gateway_ips: Mapping[str, str | None] | None = None
) -> list[SiteDesign]:
    """Every site's design straight from a validated stack config (the offline plan's view:
    gateway addresses are unknown until deployment unless given)."""
    ips = dict(gateway_ips or {})
    members = [m.name for m in cfg.gateway.members]
    return [
        site_design(
            stack=stack,
            site=site.name,
            ha_mode=str(cfg.gateway.ha_mode),
            members=members,
            gateway_ips={m: ips.get(m) for m in members},
            customer_addresses=list(site.customer_gateway.addresses),
            customer_ike_id=site.customer_gateway.ike_id,
            vpc_cidrs=[str(s.cidr) for s in cfg.vpc.subnets],
            onprem_cidrs=[str(c) for c in site.subnets],
            tunnels=[
                {"customer": str(t.customer), "gateway": t.gateway_address()} for t in site.tunnels
            ],
            ike=cfg.site_ike(site).model_dump(),
            ipsec=cfg.site_ipsec(site).model_dump(),
            dpd=cfg.site_dpd(site).model_dump(),
            mtu=site.mtu or cfg.mtu,
        )
        for site in cfg.sites
    ]
