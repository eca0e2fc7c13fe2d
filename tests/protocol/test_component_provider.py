"""The components as a Pulumi component provider, over its gRPC protocol, started as the Python
language host starts a plugin (`python <plugin dir> <engine address>`)."""

import json

import pytest

from offline_engine.runtime import SECRET_SIG, SIG_KEY
from tests.conftest import ROOT
from tests.protocol.provider_client import ProviderClient

pytestmark = pytest.mark.protocol
PSK = {SIG_KEY: SECRET_SIG, "value": "Str0ng-Pre-Shared+Key"}


@pytest.fixture(scope="module")
def provider():
    client = ProviderClient(ROOT / "components")
    yield client
    client.close()


def test_get_schema_over_grpc(provider):
    schema = provider.get_schema()
    assert schema["name"] == "sitevpn"
    assert schema == json.loads((ROOT / "components" / "schema.json").read_text())
    pair = schema["resources"]["sitevpn:index:VpnConnectionPair"]
    assert pair["inputProperties"]["psk"]["secret"] is True
    assert pair["properties"]["tunnels"]["items"]["$ref"] == "#/types/sitevpn:index:TunnelPlan"
    assert set(pair["requiredInputs"]) == {"haMode", "connections", "peerEndpointGroupId"}


def test_construct_a_connection_pair(provider):
    state, capture = provider.construct(
        "sitevpn:index:VpnConnectionPair",
        "pair",
        {
            "haMode": "active-standby",
            "peerEndpointGroupId": "peer-1",
            "connections": [
                {
                    "vpnserviceId": "svc-a",
                    "localEndpointGroupId": "local-a",
                    "peerAddress": "22.0.0.1",
                    "tunnelCustomerAddress": "169.254.70.2/30",
                },
                {
                    "vpnserviceId": "svc-b",
                    "localEndpointGroupId": "local-b",
                    "peerAddress": "22.0.0.2",
                    "tunnelCustomerAddress": "169.254.71.2/30",
                },
            ],
            "ike": {"dhGroup": "group20"},
            "psk": PSK,
        },
        project="p",
        stack="s",
    )
    pair = capture.named("pair")
    assert pair.type == "sitevpn:index:VpnConnectionPair" and state["urn"] == pair.urn
    children = {r.name: r for r in capture.resources if r.parent == pair.urn}
    assert set(children) == {"pair-ike", "pair-ipsec", "pair-conn1", "pair-conn2"}
    assert children["pair-ike"].inputs["pfs"] == "group20"
    c1, c2 = children["pair-conn1"].inputs, children["pair-conn2"].inputs
    assert (c1["initiator"], c2["initiator"]) == ("bi-directional", "response-only")
    assert c1["psk"] == PSK and children["pair-conn2"].additional_secret_outputs == ["psk"]
    assert state["connectionIds"] == ["pair-conn1-id", "pair-conn2-id"]
    assert state["psk"][SIG_KEY] == SECRET_SIG  # a secret output stays secret across the wire
    assert state["tunnels"][1] == {
        "connection": "conn2",
        "role": "standby",
        "initiator": "response-only",
        "gatewayAddress": "169.254.71.1/30",
        "customerAddress": "169.254.71.2/30",
    }


def test_construct_the_whole_design(provider):
    state, capture = provider.construct(
        "sitevpn:index:SiteVpn",
        "vpn",
        {
            "haMode": "active-active",
            "interconnectSubnet": "192.168.2.0/24",
            "members": [
                {"name": "a", "externalNetworkId": "ext"},
                {"name": "b", "externalNetworkId": "ext"},
            ],
            "localSubnets": [
                {"name": "app", "cidr": "192.168.1.0/24", "subnetId": "s-app", "networkId": "n"}
            ],
            "sites": [
                {
                    "name": "dc1",
                    "customerGateway": {"addresses": ["22.0.0.1"]},
                    "subnets": ["172.16.0.0/16"],
                    "tunnels": [{"customer": "169.254.70.2/30"}, {"customer": "169.254.71.2/30"}],
                },
                {
                    "name": "dc2",
                    "customerGateway": {"addresses": ["22.0.0.2"], "ikeId": "dc2.example.net"},
                    "subnets": ["172.17.0.0/16"],
                    "tunnels": [{"customer": "169.254.72.2/30"}, {"customer": "169.254.73.2/30"}],
                },
            ],
            "securityGroupIds": {"web": "sg-web"},
            # the echo backend returns no generated password, so this construct brings its own PSK
            "psk": PSK,
        },
        project="p",
        stack="s",
    )
    types = [r.type for r in capture.resources]
    assert types.count("openstack:vpnaas/siteConnection:SiteConnection") == 4
    assert types.count("sitevpn:index:VpnConnectionPair") == 2
    assert types.count("openstack:networking/secGroupRule:SecGroupRule") == 4
    assert capture.named("vpn-dc2-pair-conn1").inputs["peerId"] == "dc2.example.net"
    assert [s["name"] for s in state["sites"]] == ["dc1", "dc2"]
    assert state["haMode"] == "active-active"
    assert state["deviceConfigs"][SIG_KEY] == SECRET_SIG
    assert "remote_ts = 192.168.1.0/24" in state["deviceConfigs"]["value"]["dc1"]


def test_a_bad_construct_is_an_error_not_a_crash(provider):
    with pytest.raises(Exception, match="exactly two connections"):
        provider.construct(
            "sitevpn:index:VpnConnectionPair",
            "bad",
            {"haMode": "active-active", "peerEndpointGroupId": "p", "connections": []},
        )
