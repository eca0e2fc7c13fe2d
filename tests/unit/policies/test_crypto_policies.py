"""IKE/IPsec policy rules: compliant, each violation, provider defaults, unknowns, config."""

import pulumi_openstack as openstack
import pytest

from offline_engine.analyzer import PackError
from tests.unit.policies.conftest import (
    STRONG_IKE,
    STRONG_IPSEC,
    not_run,
    unknown_in_preview,
    violations,
)

IKEV2 = "vpn-ike-policy-enforce-ikev2"
WEAK = "vpn-crypto-policy-disallow-weak-algorithms"
DH = "vpn-crypto-policy-enforce-strong-dh-group"
LIFETIME = "vpn-crypto-policy-enforce-lifetime"
ESP = "vpn-ipsec-policy-enforce-esp-tunnel"
ALL = [IKEV2, WEAK, DH, LIFETIME, ESP]


def ike(**overrides):
    return lambda: openstack.vpnaas.IkePolicy("ike", **{**STRONG_IKE, **overrides})


def ipsec(**overrides):
    return lambda: openstack.vpnaas.IpSecPolicy("ipsec", **{**STRONG_IPSEC, **overrides})


def test_strong_policies_are_compliant(evaluate):
    def program():
        ike()()
        ipsec()()

    report = evaluate(program)
    assert [d for d in report.diagnostics if d.policy in ALL] == []


@pytest.mark.parametrize(
    ("program", "policy", "fragment"),
    [
        (ike(ike_version="v1"), IKEV2, "ike (IkePolicy).ikeVersion = 'v1': only IKEv2 is allowed"),
        (
            ike(auth_algorithm="sha1"),
            WEAK,
            "ike (IkePolicy).authAlgorithm = 'sha1': is a weak algorithm",
        ),
        (ike(encryption_algorithm="3des"), WEAK, "ike (IkePolicy).encryptionAlgorithm = '3des'"),
        (ipsec(auth_algorithm="sha1"), WEAK, "ipsec (IpSecPolicy).authAlgorithm = 'sha1'"),
        (
            ipsec(encryption_algorithm="3des"),
            WEAK,
            "ipsec (IpSecPolicy).encryptionAlgorithm = '3des'",
        ),
        (
            ike(pfs="group5"),
            DH,
            "ike (IkePolicy).pfs = 'group5': IKE Diffie-Hellman group must be one of",
        ),
        (ike(pfs="group2"), DH, "'group2'"),
        (
            ipsec(pfs="group5"),
            DH,
            "ipsec (IpSecPolicy).pfs = 'group5': IPsec PFS group must be one of",
        ),
        (
            ike(lifetimes=[{"units": "kilobytes", "value": 3600}]),
            LIFETIME,
            "ike (IkePolicy).lifetimes[0].units = 'kilobytes': neutron supports seconds only",
        ),
        (
            ike(lifetimes=[{"units": "seconds", "value": 30}]),
            LIFETIME,
            "ike (IkePolicy).lifetimes[0].value = 30: lifetime must be 60-604800 seconds",
        ),
        (
            ipsec(lifetimes=[{"units": "seconds", "value": 700000}]),
            LIFETIME,
            "ipsec (IpSecPolicy).lifetimes[0].value = 700000",
        ),
        (
            ipsec(transform_protocol="ah"),
            ESP,
            "ipsec (IpSecPolicy).transformProtocol = 'ah': must be esp",
        ),
        (ipsec(transform_protocol="ah-esp"), ESP, "'ah-esp'"),
        (
            ipsec(encapsulation_mode="transport"),
            ESP,
            "ipsec (IpSecPolicy).encapsulationMode = 'transport': must be tunnel",
        ),
    ],
)
def test_each_violation(evaluate, program, policy, fragment):
    report = evaluate(program)
    found = violations(report, policy)
    assert len(found) == 1 and fragment in found[0].message
    assert found[0].enforcement_level == "mandatory"


def test_bare_policies_take_the_weak_provider_defaults(evaluate):
    def program():
        openstack.vpnaas.IkePolicy("bare-ike")
        openstack.vpnaas.IpSecPolicy("bare-ipsec")

    report = evaluate(program)
    messages = [d.message for d in report.diagnostics if d.policy in ALL]
    joined = "\n".join(messages)
    assert "bare-ike (IkePolicy).ikeVersion = 'v1' (provider default" in joined
    assert "bare-ike (IkePolicy).authAlgorithm = 'sha1' (provider default" in joined
    assert "bare-ipsec (IpSecPolicy).authAlgorithm = 'sha1' (provider default" in joined
    assert "bare-ike (IkePolicy).pfs = 'group5' (provider default" in joined
    assert "bare-ipsec (IpSecPolicy).pfs = 'group5' (provider default" in joined
    # aes-128 is not weak, the default lifetime (3600 s) and esp/tunnel are fine
    assert not violations(report, LIFETIME) and not violations(report, ESP)
    assert len(violations(report, WEAK)) == 2


@pytest.mark.parametrize(
    ("field", "policy"),
    [
        ("auth_algorithm", WEAK),
        ("pfs", DH),
        ("ike_version", IKEV2),
    ],
)
def test_unknown_values_during_preview_are_not_violations(evaluate, field, policy):
    value = {"auth_algorithm": "sha1", "pfs": "group5", "ike_version": "v1"}[field]

    def program():
        ike(**{field: unknown_in_preview(value)})()

    report = evaluate(program, preview=True)
    assert violations(report, policy) == []
    assert len(not_run(report, policy)) == 1
    assert not_run(report, policy)[0].enforcement_level == "advisory"
    # once known (an update), the same value is a violation: the unknown was not a free pass
    assert violations(evaluate(program, preview=False), policy)


def test_unknown_auth_does_not_hide_a_weak_encryption(evaluate):
    def program():
        ike(auth_algorithm=unknown_in_preview("sha256"), encryption_algorithm="3des")()

    report = evaluate(program, preview=True)
    assert [("3des" in d.message) for d in violations(report, WEAK)] == [True]
    assert not_run(report, WEAK)


@pytest.mark.parametrize(
    ("program", "policy", "config"),
    [
        (ike(ike_version="v1"), IKEV2, {IKEV2: {"allowIkeV1": True}}),
        (ike(pfs="group5"), DH, {DH: {"allowedDhGroups": ["group5", "group14"]}}),
        (ike(auth_algorithm="sha1"), WEAK, {WEAK: {"disallowedAuthAlgorithms": ["md5"]}}),
        (ike(lifetimes=[{"units": "seconds", "value": 30}]), LIFETIME, {LIFETIME: "disabled"}),
    ],
)
def test_config_overrides(evaluate, program, policy, config):
    assert violations(evaluate(program), policy)
    assert violations(evaluate(program, config=config), policy) == []


def test_config_can_downgrade_to_advisory(evaluate):
    program = ike(lifetimes=[{"units": "seconds", "value": 30}])
    found = violations(evaluate(program, config={LIFETIME: "advisory"}), LIFETIME)
    assert [d.enforcement_level for d in found] == ["advisory"]


def test_config_below_the_schema_minimum_is_refused(evaluate):
    # neutron's floor of 60 s is the schema minimum: a config cannot lower it
    with pytest.raises(PackError, match="minLifetimeSeconds: 10 is less than the minimum of 60"):
        evaluate(ike(), config={LIFETIME: {"minLifetimeSeconds": 10}})


def test_tighter_config_adds_violations(evaluate):
    config = {DH: {"allowedDhGroups": ["group19", "group20", "group21"]}}
    assert violations(evaluate(ike(), config=config), DH)
    config = {LIFETIME: {"maxLifetimeSeconds": 28800}}
    assert violations(evaluate(ike(), config=config), LIFETIME)


def test_disabled_policy_reports_nothing(evaluate):
    assert violations(evaluate(ike(ike_version="v1"), config={IKEV2: "disabled"}), IKEV2) == []
    assert violations(evaluate(ike(ike_version="v1"), config={"all": "disabled"}), IKEV2) == []
