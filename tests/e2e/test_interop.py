"""The generated customer configuration interoperates with the real cloud: the stack deployed
into Keystone + Neutron as a project member, the L3 agent's neutron-vpnaas strongSwan driver
running charon in each router's namespace, our customer device loading ``deviceConfigs``."""

import base64
import copy
import time

from tests.conftest import PSK
from tests.e2e.conftest import ACTIVE_TIMEOUT, attach, bring_up, e2e_values, record
from tests.e2e.lab import ChildSa

DPD_TIMEOUT = 6  # the e2e designs' DPD timeout (seconds)
# The example stacks' design (aes-256, sha256, group15 for IKE and PFS) as charon names it.
# The driver's ike=/esp= lines are not strict (no "!"): the cloud also accepts charon's default
# proposals (other groups, no PFS). So "it connects" is not enough: the negotiated suites must
# be exactly the design's.
IKE_SUITE = "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072"
ESP_SUITE_AFTER_REKEY = "AES_CBC-256/HMAC_SHA2_256_128/MODP_3072"


def rekey(lab, child: str) -> ChildSa | None:
    """Force a CHILD_SA rekey (where a PFS mismatch shows): the new SA, or None when none came.

    Found by SPI among all the child's SAs: the old one may still be listed beside it (IKEv1
    keeps it until it expires)."""
    before = {sa.spi_out for sa in lab.all_child_sas() if sa.name == child}
    lab.swanctl("--rekey", "--child", child, check=False)
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        for sa in lab.all_child_sas():
            if sa.name == child and sa.spi_out not in before:
                return sa
        time.sleep(0.2)
    return None


def traffic_on(lab, action, direction: str = "bytes_in") -> list[str] | None:
    """The children one of whose SAs' counter in ``direction`` grows during ``action()``, or
    None when the action fails.

    Counted per SA (by SPI), not per child name: while both sides initiate, a child can have
    two SAs, and traffic may take the one not listed first.
    """
    before = {sa.spi_out: getattr(sa, direction) for sa in lab.all_child_sas()}
    if not action():
        return None
    after = lab.all_child_sas()
    return sorted({sa.name for sa in after if getattr(sa, direction) > before.get(sa.spi_out, 0)})


def grew(lab, action, direction: str = "bytes_in") -> list[str]:
    """``traffic_on`` for an action that must succeed."""
    children = traffic_on(lab, action, direction)
    assert children is not None, f"traffic failed:\n{lab.diagnose()}"
    return children


def carrying(lab, site: int = 0) -> str:
    """The child the customer device sends on (onprem -> VPC)."""
    (child,) = grew(lab, lambda: lab.ping("onprem", count=3, site=site), "bytes_out")
    return child


def resume_after(lab, action, sites: int = 1) -> float:
    """Seconds from ``action()`` until pings cross both ways again."""
    started = time.monotonic()
    action()
    while time.monotonic() - started < 60:
        if all(
            lab.ping("vpc", wait=0.5, site=i) and lab.ping("onprem", wait=0.5, site=i)
            for i in range(sites)
        ):
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError("traffic did not resume within 60 s")


def member_down(cloud, d, index: int, up: bool = False) -> None:
    """A member's network node loses (or regains) every link: its router's ports."""
    router = d.gateway["routerIds"][index]
    for port in d.session.list("ports", f"device_id={router}"):
        cloud.router_link(port["id"], up)


def test_dev_active_active_through_the_agent(cloud, deploy, lab):
    d = deploy(e2e_values("dev"), "dev")
    attach(lab, d, ["dc1"])
    waited = bring_up(lab, d, ["dc1"])
    assert waited is not None, lab.diagnose()
    print(f"\ndev: both CHILD_SAs installed {waited:.2f} s after the customer's daemon started")
    for child in ("dc1-conn1", "dc1-conn2"):
        assert lab.child_sas()[child].ike_algorithms == IKE_SUITE
        rekeyed = rekey(lab, child)
        assert rekeyed, f"rekey of {child} failed:\n{lab.diagnose()}"
        # the rekey negotiated PFS with the designed group
        assert rekeyed.algorithms == ESP_SUITE_AFTER_REKEY
    # Each member's tunnel carries traffic both ways: the VPC routes through one, then the other.
    _, subnet = d.vpc_subnet()
    hops = d.member_addresses(subnet)
    for index, child in enumerate(("dc1-conn1", "dc1-conn2")):
        lab.route("172.16.0.0/16", [hops[index]])
        assert grew(lab, lambda: lab.ping("vpc", count=3)) == [child]
        assert lab.ping("onprem", count=2)
    # Neutron learns it from the agent's status loop
    took = cloud.wait_for_status(d.connection_ids("dc1"), "ACTIVE", ACTIVE_TIMEOUT)
    record("tunnel_up_to_neutron_active", took)
    # One charon per router, holding its one connection; the PSK is only ever base64 there.
    for router, connection in zip(d.gateway["routerIds"], d.connection_ids("dc1"), strict=True):
        assert len(cloud.charon_pids(router)) == 1
        secrets = (cloud.router_dir(router) / "etc" / "ipsec.secrets").read_text()
        assert f": PSK 0s{base64.b64encode(PSK.encode()).decode()}" in secrets
        assert PSK not in secrets
        assert f"conn {connection}" in (cloud.router_dir(router) / "etc" / "ipsec.conf").read_text()
    # The remedy wait_for_status applies to an agent that stopped reporting: restarting it
    # leaves every router's charon, its tunnels and Neutron's status as they were.
    charons = {r: cloud.charon_pids(r) for r in d.gateway["routerIds"]}
    agent = cloud.l3_agent_pids()
    cloud.restart_l3_agent()
    assert agent and cloud.l3_agent_pids() and not agent & cloud.l3_agent_pids()
    assert {r: cloud.charon_pids(r) for r in d.gateway["routerIds"]} == charons
    assert lab.ping("vpc", count=3) and lab.ping("onprem", count=3)
    assert cloud.wait_for_status(d.connection_ids("dc1"), "ACTIVE", ACTIVE_TIMEOUT) < 5


def test_failover_active_active(cloud, deploy, lab):
    d = deploy(e2e_values("dev"), "dev")
    attach(lab, d, ["dc1"])
    assert bring_up(lab, d, ["dc1"]) is not None, lab.diagnose()
    # the member the VPC's multipath route uses for the on-prem host
    (child,) = grew(lab, lambda: lab.ping("vpc", count=3))
    index = 0 if child.endswith("conn1") else 1
    took = resume_after(lab, lambda: member_down(cloud, d, index))
    record("failover_active_active", took)
    print(
        f"\nactive-active failover: traffic both ways again {took:.2f} s after member {index} died"
    )
    # customer DPD (2 s + 3.8 s of retransmits) or the VPC's neighbour detection, whichever is last
    assert took <= DPD_TIMEOUT + 4
    other = "dc1-conn2" if index == 0 else "dc1-conn1"
    assert grew(lab, lambda: lab.ping("vpc", count=3)) == [other]
    member_down(cloud, d, index, up=True)
    back = lab.wait_for_children({"dc1-conn1", "dc1-conn2"}, timeout=60)
    assert back is not None, "the failed tunnel did not come back after recovery"
    record("recovery_active_active", back)
    assert lab.ping("vpc", count=2) and lab.ping("onprem", count=2)


def test_prod_active_standby_hub_one_charon_per_router(cloud, existing_vpc, deploy, lab):
    d = deploy(e2e_values("prod"), "prod", psk=None)  # generated PSKs, one per site
    attach(lab, d, ["dc1", "dc2"])
    assert bring_up(lab, d, ["dc1", "dc2"]) is not None, lab.diagnose()
    sas = lab.swanctl("--list-sas").stdout
    for address in (*d.site("dc1")["customerGateway"]["addresses"],):
        assert f"local  '{address}' @ {address}" in sas
    assert "local  'dc2-vpn.example.net'" in sas  # the FQDN identity
    for site in (0, 1):
        assert lab.ping("vpc", count=2, site=site) and lab.ping("onprem", count=2, site=site)
    for child in ("dc1-conn1", "dc1-conn2", "dc2-conn1", "dc2-conn2"):
        assert lab.child_sas()[child].ike_algorithms == IKE_SUITE
    # Hub and spoke: each member router runs ONE charon serving both sites' connections.
    for index, router in enumerate(d.gateway["routerIds"]):
        assert len(cloud.charon_pids(router)) == 1
        conf = (cloud.router_dir(router) / "etc" / "ipsec.conf").read_text()
        for site in ("dc1", "dc2"):
            assert f"conn {d.connection_ids(site)[index]}" in conf
        assert "rightid=@dc2-vpn.example.net" in conf
        # conn2 is response-only in Neutron, yet the driver routes and brings it up itself
        assert conf.count("auto=route") == 2
    took = cloud.wait_for_status(
        d.connection_ids("dc1") + d.connection_ids("dc2"), "ACTIVE", ACTIVE_TIMEOUT
    )
    record("tunnel_up_to_neutron_active", took)


def test_failover_active_standby_and_return(cloud, existing_vpc, deploy, lab):
    d = deploy(e2e_values("prod"), "prod")
    attach(lab, d, ["dc1"])
    assert bring_up(lab, d, ["dc1"]) is not None, lab.diagnose()
    # libipsec ranks equal selectors newest-first and ignores the rendered priorities (which a
    # kernel-XFRM device honours): re-establishing conn1 gives the lab the same preference.
    lab.swanctl("--terminate", "--ike", "dc1-conn1")
    lab.swanctl("--initiate", "--child", "dc1-conn1")
    assert carrying(lab) == "dc1-conn1"
    try:
        took = resume_after(lab, lambda: member_down(cloud, d, 0))
        record("failover_active_standby", took)
        print(
            f"\nactive/standby failover: traffic both ways again {took:.2f} s after member a died"
        )
        assert took <= DPD_TIMEOUT + 4
        assert carrying(lab) == "dc1-conn2"
    finally:
        # member a is the shared vpc-router: later tests need its links back even on failure
        member_down(cloud, d, 0, up=True)
    started = time.monotonic()
    while time.monotonic() - started < 60:
        if traffic_on(lab, lambda: lab.ping("onprem", count=3), "bytes_out") == ["dc1-conn1"]:
            break
        time.sleep(0.5)
    else:
        raise AssertionError("traffic did not return to the active link after recovery")
    record("return_to_active", time.monotonic() - started)


def _mismatch(change) -> dict:
    customer = e2e_values("dev")
    change(customer)
    return customer


NEGATIVE = {
    # group5: outside charon's default proposals, which the driver's non-strict ike= line also
    # accepts (a group14 device would still connect to a group15 cloud)
    "dh-group": (lambda v: v.__setitem__("ike", {"dhGroup": "group5"}), ["NO_PROP", "INVALID_KE"]),
    "subnets": (
        lambda v: v["sites"][0].__setitem__("subnets", ["172.17.0.0/16"]),
        ["TS_UNACCEPT"],
    ),
    "psk": (lambda v: None, ["AUTH_FAILED"]),
}


def test_negative_controls_fail_against_the_cloud(cloud, deploy, lab):
    d = deploy(e2e_values("dev"), "dev")
    attach(lab, d, ["dc1"])
    logs = lambda: lab.log() + "".join(cloud.charon_log(r) for r in d.gateway["routerIds"])  # noqa: E731
    for case, (change, tokens) in NEGATIVE.items():
        psk = "Wrong-PSK_for+this/site=2026" if case == "psk" else PSK
        conf = d.customer_config("dc1", _mismatch(change), psk)
        # a matching pair establishes in well under a second; 8 s without one is a failure
        assert bring_up(lab, d, ["dc1"], swanctl=conf, timeout=8) is None, case
        assert not lab.ping("vpc", count=1), case
        assert any(token in logs() for token in tokens), (case, logs()[-3000:])
        lab.stop_customer()
    # PFS: IKEv2 builds the first CHILD_SA without a key exchange, so the mismatch is
    # invisible until the first rekey, which has to agree on the group.
    conf = d.customer_config(
        "dc1", _mismatch(lambda v: v.__setitem__("ipsec", {"pfs": "group14"})), PSK
    )
    assert bring_up(lab, d, ["dc1"], swanctl=conf) is not None
    assert lab.ping("vpc", count=1)
    assert not rekey(lab, "dc1-conn1")
    assert "NO_PROP" in logs()


def test_every_allowed_psk_special_reaches_both_ends(cloud, deploy, lab):
    # the customer side quotes the secret; the driver writes it base64 (0s...)
    psk = "Aa1~!@#$%^*()-_+={},./:;Zz9"
    values = copy.deepcopy(e2e_values("dev"))
    d = deploy(values, "dev", psk=psk)
    attach(lab, d, ["dc1"])
    assert psk in d.device_config("dc1")
    assert bring_up(lab, d, ["dc1"]) is not None, lab.diagnose()
    assert lab.ping("vpc", count=1) and lab.ping("onprem", count=1)
    secrets = (cloud.router_dir(d.gateway["routerIds"][0]) / "etc" / "ipsec.secrets").read_text()
    assert f"0s{base64.b64encode(psk.encode()).decode()}" in secrets and psk not in secrets
