"""The rollout's cloud client: one per run, retried connections, errors without tracebacks."""

import asyncio
import socket

import pulumi
import pytest
from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as sdk_exceptions

from sitevpn import rollout as rollout_module
from sitevpn.rollout import CONNECT_RETRIES, Neutron, Rollout, cloud_errors

PSK = "psk-that-must-never-show-0123456789"


def closed_port() -> int:
    """A loopback port nobody listens on (connections to it are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_connection_is_retried_before_the_query_fails(monkeypatch):
    waits = []
    monkeypatch.setattr("keystoneauth1.session.time.sleep", waits.append)
    neutron = Neutron(
        {
            "authUrl": f"http://127.0.0.1:{closed_port()}/v3",
            "userName": "admin",
            "password": PSK,
            "tenantName": "admin",
        }
    )
    with pytest.raises(ks_exceptions.ConnectFailure):
        neutron.status("0b7c5c49-7d1e-4a38-9d9c-000000000001")
    # the token request itself was retried, with keystoneauth's backoff
    assert waits[:CONNECT_RETRIES] == [0.5 * 2**i for i in range(CONNECT_RETRIES)]


def conflict() -> sdk_exceptions.HttpException:
    """Neutron's answer with the connection's PSK in its body."""
    error = sdk_exceptions.HttpException(message=f"Conflict: psk {PSK}", details=f"psk={PSK}")
    error.status_code = 409
    return error


@pytest.mark.parametrize(
    ("raised", "shown"),
    [
        (
            ks_exceptions.ConnectFailure("Unable to establish connection to http://k/v3"),
            "ConnectFailure: Unable to establish connection to http://k/v3",
        ),
        (conflict(), "HttpException (HTTP 409)"),
    ],
)
def test_cloud_errors_name_the_stack_site_and_what_was_left(raised, shown):
    with pytest.raises(pulumi.RunError) as caught:
        with cloud_errors("prod", "dc1", pulumi.RunError, "connection 2 was left as it was"):
            raise raised
    message = str(caught.value)
    assert message.startswith("stack 'prod': site 'dc1': the cloud did not answer")
    assert shown in message
    assert "connection 2 was left as it was" in message
    assert PSK not in message
    assert caught.value.__cause__ is None or PSK not in str(caught.value.__cause__)


def test_cloud_errors_leave_other_errors_and_success_alone():
    with cloud_errors("prod", "dc1", RuntimeError, "nothing"):
        pass
    with pytest.raises(KeyError):
        with cloud_errors("prod", "dc1", RuntimeError, "nothing"):
            raise KeyError("not the cloud's")


def test_every_gate_of_a_run_shares_one_client(monkeypatch):
    made = []

    class Counted:
        def __init__(self, config):
            made.append(config)

    async def config():
        await asyncio.sleep(0.01)  # every gate asks before the first client exists
        return {}

    monkeypatch.setattr(rollout_module, "Neutron", Counted)
    monkeypatch.setattr(rollout_module, "provider_config", config)

    run = object.__new__(Rollout)  # its hooks register with an engine, which a unit test has not
    run.neutron = None
    run._client_lock = asyncio.Lock()

    async def fifty_gates():
        clients = await asyncio.gather(*(run._client() for _ in range(50)))
        return {id(c) for c in clients}

    loop = asyncio.new_event_loop()  # not asyncio.run: it unsets the thread's loop for the others
    try:
        assert len(loop.run_until_complete(fifty_gates())) == 1
    finally:
        loop.close()
    assert len(made) == 1
