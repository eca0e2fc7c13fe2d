"""Guarded deletes: a deployed site or member the stack file drops needs an acknowledgement."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitevpn.config import RemovalsConfig
from sitevpn.removals import Deployed, deployed, moved_attachments, stale, unacknowledged

LAST = Deployed(
    sites=("dc1", "dc2"),
    members={"a": "198.51.100.1", "b": "198.51.100.2"},
    attachments={"a": "interface", "b": "port"},
    subnets={"vpc": True, "app": True},
)


def check(
    sites, members=("a", "b"), ack_sites=(), ack_members=(), last=LAST, subnets=("vpc", "app")
):
    gone = RemovalsConfig(sites=list(ack_sites), members=list(ack_members))
    return unacknowledged("prod", last, sites, members, subnets, gone)


def test_outputs_of_the_last_deployment():
    outputs = {
        "sites": [{"name": "dc1", "connectionIds": ["x", "y"]}, {"name": "dc2"}],
        "gatewayMembers": [{"name": "a", "eip": "198.51.100.1", "attach": "interface"}],
        "vpcSubnets": [{"name": "vpc", "created": True}, {"name": "db", "created": False}],
    }
    assert deployed(outputs) == Deployed(
        ("dc1", "dc2"), {"a": "198.51.100.1"}, {"a": "interface"}, {"vpc": True, "db": False}
    )
    # never deployed, or deployed by a release that did not export the members or subnets
    assert deployed(None) == Deployed((), None, {})
    assert deployed({"sites": [{"name": "dc1"}]}) == Deployed(("dc1",), None, {})


@pytest.mark.parametrize(
    "sites, members, ack_sites, ack_members, expected",
    [
        # nothing dropped
        ([("dc1", ()), ("dc2", ())], ("a", "b"), (), (), []),
        # a site added is no removal
        ([("dc1", ()), ("dc2", ()), ("dc3", ())], ("a", "b"), (), (), []),
        # a renamed site (declared) is no removal
        ([("dc1", ()), ("dc9", ("dc2",))], ("a", "b"), (), (), []),
        # a dropped site, acknowledged
        ([("dc1", ())], ("a", "b"), ("dc2",), (), []),
        # a dropped member, acknowledged
        ([("dc1", ()), ("dc2", ())], ("a",), (), ("b",), []),
    ],
)
def test_acknowledged_or_kept(sites, members, ack_sites, ack_members, expected):
    assert check(sites, members, ack_sites, ack_members) == expected


def test_a_dropped_site_is_refused_with_stack_key_and_remedy():
    [message] = check([("dc1", ())])
    assert message.startswith(
        "stack 'prod': site 'dc2' is deployed but no longer in site-vpn:sites"
    )
    assert "site-vpn:removals.sites" in message and "renamedFrom" in message


def test_a_dropped_member_names_its_eip():
    [message] = check([("dc1", ()), ("dc2", ())], members=("a",), ack_members=("c",))
    assert "gateway member 'b' (EIP 198.51.100.2)" in message
    assert "releases the EIP for good" in message and "site-vpn:removals.members" in message


def test_members_unknown_before_they_were_exported():
    last = Deployed(sites=("dc1",), members=None, attachments={})
    assert check([("dc1", ())], members=("a",), last=last) == []


@pytest.mark.parametrize(
    "created, says", [(True, "deletes the subnet the stack created"), (False, "detaches it")]
)
def test_a_dropped_vpc_subnet_is_refused_unless_acknowledged(created, says):
    last = Deployed(("dc1",), {}, {}, {"vpc": created, "app": created})
    [message] = check([("dc1", ())], subnets=("vpc",), last=last)
    assert message.startswith(
        "stack 'prod': VPC subnet 'app' is deployed but no longer in site-vpn:vpc.subnets"
    )
    assert says in message and "site-vpn:removals.subnets" in message
    gone = RemovalsConfig(subnets=["app"])
    assert unacknowledged("prod", last, [("dc1", ())], (), ("vpc",), gone) == []
    # a deployment from before the subnets were exported: nothing to compare with
    assert check([("dc1", ())], subnets=("vpc",), last=Deployed(("dc1",), {}, {})) == []


def test_stale_acknowledgements():
    gone = RemovalsConfig(sites=["dc2", "dc7"], members=["b", "z"], subnets=["app", "old"])
    assert stale(LAST, gone) == ["sites: dc7", "members: z", "subnets: old"]
    assert stale(Deployed(("dc1",), None, {}), RemovalsConfig(members=["z"])) == []


def test_reordered_members_that_would_move_an_attachment_are_refused():
    # swapped in a created VPC: b would take the subnets' gateway IP a holds
    swapped = moved_attachments("prod", LAST, [("b", "interface"), ("a", "port")])
    assert [m.split("'")[3] for m in swapped] == ["b", "a"]
    assert "were the members reordered?" in swapped[0] and "attach" in swapped[0]
    # the same attachments (explicit, or an unchanged order), a new member: fine
    assert moved_attachments("prod", LAST, [("a", "interface"), ("b", "port")]) == []
    assert moved_attachments("prod", LAST, [("a", "interface"), ("c", "port")]) == []


keys = st.sampled_from(["dc1", "dc2", "dc3", "dc4"])


@given(st.sets(keys), st.sets(keys), st.sets(keys))
def test_refused_exactly_when_a_deployed_site_is_neither_kept_nor_acknowledged(last, now, ack):
    problems = check([(s, ()) for s in now], ack_sites=ack, last=Deployed(tuple(last), {}, {}))
    assert len(problems) == len(last - now - ack)
