"""Stand-in for the cloud side: a VPN service's site connections rendered the way
neutron-vpnaas's strongSwan driver renders them (``ipsec.conf`` + ``ipsec.secrets``), from the
SiteConnection/IkePolicy/IpSecPolicy inputs our program registered.

Deliberately independent of components/device_config.py: its dialect table is neutron's own
(``BaseSwanProcess.DIALECT_MAP`` + the strongSwan driver's v1/v2), so a mapping mistake in our
renderer cannot be mirrored on both ends of a test tunnel.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from sitevpn.engine.runtime import Capture, Registration
from tests.conftest import unwrap

# neutron_vpnaas/services/vpn/device_drivers/ipsec.py (DIALECT_MAP) and strongswan_ipsec.py
DIALECT = {
    "3des": "3des",
    "aes-128": "aes128",
    "aes-192": "aes192",
    "aes-256": "aes256",
    "group2": "modp1024",
    "group5": "modp1536",
    "group14": "modp2048",
    "group15": "modp3072",
    "group16": "modp4096",
    "group19": "ecp256",
    "group20": "ecp384",
    "group21": "ecp521",
    "group31": "curve25519",
    "bi-directional": "start",
    "response-only": "add",
    "v1": "ikev1",
    "v2": "ikev2",
}

TEMPLATE_DEFAULT = """# Configuration for {service}
config setup

conn %default
        keylife=20m
        rekeymargin=3m
        keyingtries=1
        authby=psk
        mobike=no
"""

TEMPLATE_CONNECTION = """
conn {id}
    keyexchange={ike_version}
    left={external_ip}
    leftsubnet={local_cidrs}
    leftid={local_id}
    leftfirewall=yes
    right={peer_address}
    rightsubnet={peer_cidrs}
    rightid={peer_id}
    auto=route
    dpdaction={dpd_action}
    dpddelay={dpd_interval}s
    dpdtimeout={dpd_timeout}s
    ike={ike_encryption}-{ike_auth}-{ike_pfs}
    ikelifetime={ike_lifetime}s
    esp={esp_encryption}-{esp_auth}-{esp_pfs}
    lifetime={esp_lifetime}s
    type={encapsulation}
"""


@dataclass(frozen=True)
class NeutronConnection:
    """What neutron hands its driver for one ipsec_site_connection (after translate_dialect)."""

    id: str
    service: str
    external_ip: str
    local_id: str
    local_cidrs: tuple[str, ...]
    peer_address: str
    peer_id: str
    peer_cidrs: tuple[str, ...]
    psk: str
    values: Mapping[str, str]


def _d(value: object) -> str:
    return DIALECT.get(str(value), str(value))


def _dep(capture: Capture, reg: Registration, field: str) -> Registration:
    (urn,) = reg.property_dependencies[field]
    return capture.by_urn(urn)


def _seconds(policy: Registration) -> int:
    (lifetime,) = policy.inputs["lifetimes"]
    assert lifetime["units"] == "seconds"
    return int(lifetime["value"])


def connections_from_capture(
    capture: Capture, site_prefix: str, subnet_cidrs: Mapping[str, str]
) -> list[NeutronConnection]:
    """neutron's view of a site's connections, from what the program registered."""
    out = []
    for reg in capture.of_type("openstack:vpnaas/siteConnection:SiteConnection"):
        if not reg.name.startswith(site_prefix):
            continue
        service = _dep(capture, reg, "vpnserviceId")
        ike = _dep(capture, reg, "ikepolicyId")
        ipsec = _dep(capture, reg, "ipsecpolicyId")
        local = _dep(capture, reg, "localEpGroupId")
        peer = _dep(capture, reg, "peerEpGroupId")
        assert local.inputs["type"] == "subnet" and peer.inputs["type"] == "cidr"
        (dpd,) = reg.inputs["dpds"]
        external_ip = service.outputs["externalV4Ip"]
        values = {
            "ike_version": _d(ike.inputs["ikeVersion"]),
            "ike_encryption": _d(ike.inputs["encryptionAlgorithm"]),
            "ike_auth": _d(ike.inputs["authAlgorithm"]),
            "ike_pfs": _d(ike.inputs["pfs"]),
            "ike_lifetime": str(_seconds(ike)),
            "esp_encryption": _d(ipsec.inputs["encryptionAlgorithm"]),
            "esp_auth": _d(ipsec.inputs["authAlgorithm"]),
            "esp_pfs": _d(ipsec.inputs["pfs"]),
            "esp_lifetime": str(_seconds(ipsec)),
            "encapsulation": ipsec.inputs["encapsulationMode"],
            "dpd_action": dpd["action"],
            "dpd_interval": str(int(dpd["interval"])),
            "dpd_timeout": str(int(dpd["timeout"])),
        }
        assert ipsec.inputs["transformProtocol"] == "esp"
        out.append(
            NeutronConnection(
                id=reg.name,
                service=service.name,
                external_ip=external_ip,
                local_id=reg.inputs.get("localId") or external_ip,
                local_cidrs=tuple(subnet_cidrs[s] for s in local.inputs["endpoints"]),
                peer_address=reg.inputs["peerAddress"],
                peer_id=reg.inputs["peerId"],
                peer_cidrs=tuple(peer.inputs["endpoints"]),
                psk=unwrap(reg.inputs["psk"]),
                values=values,
            )
        )
    return out


def render_ipsec_conf(connections: list[NeutronConnection]) -> str:
    """ipsec.conf as neutron's template renders it (one block per connection)."""
    services = ", ".join(sorted({c.service for c in connections}))
    text = TEMPLATE_DEFAULT.format(service=services)
    for c in connections:
        text += TEMPLATE_CONNECTION.format(
            id=c.id,
            external_ip=c.external_ip,
            local_cidrs=",".join(c.local_cidrs),
            local_id=c.local_id,
            peer_address=c.peer_address,
            peer_cidrs=",".join(c.peer_cidrs),
            peer_id=c.peer_id,
            **c.values,
        )
    return text


def render_ipsec_secrets(connections: list[NeutronConnection]) -> str:
    """ipsec.secrets as neutron's template renders it."""
    lines = [f"# Configuration for {', '.join(sorted({c.service for c in connections}))}"]
    # neutron's template writes the key unquoted: {{local_id}} {{peer_id}} : PSK {{psk}}
    lines += [f"{c.local_id} {c.peer_id} : PSK {c.psk}" for c in connections]
    return "\n".join(lines) + "\n"
