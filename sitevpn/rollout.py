"""One tunnel at a time: connection 2 of a pair is touched only once connection 1 carries again.

Ordering alone does not keep a tunnel up: the provider returns as soon as Neutron accepted a
change, long before the agent has renegotiated the tunnel. So in ``pulumi up``:

- connection 1 of every pair carries a resource hook that notes when the engine created or
  updated it (the engine runs it before connection 1's registration completes);
- connection 2 is registered only after connection 1 (it depends on it) and after a gate: when
  connection 1 changed in this run and connection 2 exists, wait until Neutron reports
  connection 1 ACTIVE (its agent saw the tunnel up), and after an in-place update until it has
  stayed ACTIVE for a whole settle window (an update leaves the status ACTIVE, so only the
  agent's next status reports can say otherwise). After the timeout the program stops with the
  reason and the engine never touches connection 2 (a replacement would delete it first).

Before any in-place update of a connection, a hook waits while Neutron reports it PENDING_*
(Neutron refuses the update with a 400 then, which would stop an `up` half-way).

A first deployment waits for nothing (no connection 2 carries yet). Not a before-hook on
connection 2: a delete hook would also bind ``pulumi destroy`` to the program. Statuses are read
through openstacksdk with the provider's credentials (``OS_*`` variables, ``OS_CLOUD``, or the
stack's ``openstack:`` config).
"""

import asyncio
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pulumi

from sitevpn.readiness import (
    RolloutSettings,
    StatusReader,
    wait_until_carrying,
    wait_until_updatable,
)

ConnectionFinder = Callable[[str, str], str | None]
"""(name, VPN service id) -> that connection's status (None: no such connection)."""


def openstack_client(config: Mapping[str, str]) -> tuple[StatusReader, ConnectionFinder]:
    """Neutron's view of site connections, read with the provider's credentials."""
    import openstack  # openstacksdk: imported on first use, only by ``pulumi up``

    if os.environ.get("OS_AUTH_URL") or os.environ.get("OS_CLOUD"):
        conn = openstack.connect()
    else:
        conn = openstack.connect(
            auth_url=config.get("authUrl"),
            username=config.get("userName"),
            password=config.get("password"),
            project_name=config.get("tenantName"),
            user_domain_name=config.get("userDomainName", "Default"),
            project_domain_name=config.get("projectDomainName", "Default"),
            region_name=config.get("region"),
        )

    def read(connection_id: str) -> str | None:
        found = conn.network.find_vpn_ipsec_site_connection(connection_id, ignore_missing=True)
        return None if found is None else found.status

    def find(name: str, service_id: str) -> str | None:
        found = list(conn.network.vpn_ipsec_site_connections(name=name, vpnservice_id=service_id))
        return found[0].status if found else None

    return read, find


@dataclass
class Rollout:
    """The gate of one program run, shared by every pair."""

    stack: str
    settings: RolloutSettings
    read_status: StatusReader | None = None
    find_connection: ConnectionFinder | None = None
    _changed: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """connection 1's resource name -> (its id, updated in place) when changed in this run."""

    _sites: dict[str, str] = field(default_factory=dict)
    """resource name of a connection -> its site key."""

    def __post_init__(self) -> None:
        self.changed = pulumi.ResourceHook("site-vpn-first-tunnel-changed", self._note)
        self.updatable = pulumi.ResourceHook("site-vpn-connection-updatable", self._updatable)

    def for_site(self, site: str) -> "SiteRollout":
        """The rollout of one site's pair."""
        return SiteRollout(self, site)

    async def _note(self, args: pulumi.ResourceHookArgs) -> None:
        self._changed[args.name] = (args.id, args.old_outputs is not None)

    async def _updatable(self, args: pulumi.ResourceHookArgs) -> None:
        """Before an in-place update: Neutron refuses one while the connection is PENDING_*
        (400, half-way through an `up`), so wait for the agent's report first."""
        await self._client()
        ok, status = await asyncio.to_thread(
            wait_until_updatable, self.read_status, args.id, self.settings
        )
        if not ok:
            raise RuntimeError(
                f"stack '{self.stack}': site '{self._sites.get(args.name, args.name)}': "
                f"connection {args.id} is still {status} after {self.settings.timeout_seconds} s;"
                " Neutron refuses to update it until its agent reports the tunnel. Nothing was "
                "changed on it; run `pulumi up` again later"
            )

    async def _client(self) -> None:
        if self.read_status is None or self.find_connection is None:
            config = await provider_config()
            self.read_status, self.find_connection = await asyncio.to_thread(
                openstack_client, config
            )


@dataclass(frozen=True)
class SiteRollout:
    """One pair: the hook of connection 1 and the gate before connection 2."""

    rollout: Rollout
    site: str

    def hooks(self, index: int, resource_name: str) -> pulumi.ResourceHookBinding:
        """Connection ``index``'s hooks: both wait, before an update, until Neutron would take
        it; connection 1 also notes its create or update for the gate."""
        self.rollout._sites[resource_name] = self.site
        before = [self.rollout.updatable]
        if index:
            return pulumi.ResourceHookBinding(before_update=before)
        after = [self.rollout.changed]
        return pulumi.ResourceHookBinding(
            before_update=before, after_create=after, after_update=after
        )

    async def gate(self, first: str, second: str, service_id: str) -> None:
        """Before connection 2 (resource ``second``) is registered: when connection 1 (resource
        ``first``) changed and connection 2 exists, wait for connection 1 to carry again;
        RunError when it does not within the timeout."""
        changed = self.rollout._changed.get(first)
        if changed is None:
            return
        rollout = self.rollout
        await rollout._client()
        second_status = await asyncio.to_thread(rollout.find_connection, second, service_id)
        if second_status is None:
            return  # no connection 2 yet (a new site): nothing to protect
        # Any existing connection 2 counts as carrying: Neutron's status lags the tunnel (a
        # connection can stay PENDING_CREATE for minutes with its tunnel up).
        first_id, updated = changed
        if not updated:
            # neutron-vpnaas's strongSwan driver reloads charon, which keeps established SAs:
            # the replaced connection comes up only once its tunnel is re-established.
            pulumi.log.warn(
                f"site '{self.site}': waiting up to {rollout.settings.timeout_seconds} s for "
                f"connection 1 ({first_id}) to come up with its new settings before connection "
                "2 is touched: re-establish tunnel 1 on the customer device until the cloud "
                f"reports it ACTIVE (`openstack vpn ipsec site connection show {first_id}`; "
                f"strongSwan: swanctl --terminate --ike {self.site}-conn1, then swanctl "
                f"--initiate --child {self.site}-conn1)"
            )
        carrying, status = await asyncio.to_thread(
            wait_until_carrying, rollout.read_status, first_id, rollout.settings, updated
        )
        if not carrying:
            raise pulumi.RunError(
                f"stack '{rollout.stack}': site '{self.site}': connection 1 ({first_id}) is "
                f"{status} {rollout.settings.timeout_seconds} s after its change (wanted ACTIVE"
                + (f" for {rollout.settings.settle_seconds} s" if updated else "")
                + "); connection 2 was left as it was, still carrying. Check tunnel 1 on the "
                "customer device, then run `pulumi up` again (site-vpn:rollout.timeoutSeconds "
                "sets the wait)"
            )


async def provider_config() -> dict[str, str]:
    """The provider's ``openstack:`` credentials of this stack (those that are set)."""
    config = pulumi.Config("openstack")
    keys = ("authUrl", "userName", "tenantName", "userDomainName", "projectDomainName", "region")
    values = {k: config.get(k) for k in keys}
    password = config.get_secret("password")
    values["password"] = None if password is None else await password.future()
    return {k: v for k, v in values.items() if v is not None}
