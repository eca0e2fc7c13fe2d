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

A replaced connection comes up only on a new negotiation (neutron-vpnaas's strongSwan driver
reloads charon, which keeps the SAs of the connection it replaced, so the customer device sees
nothing), and an in-place change of what a tunnel negotiates (PSK, peer address or id, either
endpoint group: ``readiness.NEGOTIATED``) would take effect only at its next re-authentication,
perhaps days later and on both tunnels at once. So after such a change of connection 1 (in the
gate) and of connection 2 (in a hook after its create or update, which then waits for it to
carry), the program restarts that connection's VPN service
through the API: admin state down until the agent reports it stopped, then up; charon starts
afresh and initiates every connection, and the device, told its SAs were deleted, re-initiates
too. Tunnel N of every pair on that service renegotiates, so a service is restarted only when
every connection on it has its partner on another service and ACTIVE (waiting up to the
timeout for that), and at most once per run. Otherwise (both connections on one service:
active/standby with one member) the operator re-establishes the tunnel, as a warning says.

Before any in-place update of a connection, a hook waits while Neutron reports it PENDING_*
(Neutron refuses the update with a 400 then, which would stop an `up` half-way).

neutron-vpnaas 28's agent takes a connection out of PENDING_* only in a sync that runs once
charon lists it; a connection created, or whose service restarted, just before charon loaded
it can stay PENDING_CREATE with its tunnel up until something else makes the agent sync. So
every wait on a connection's status asks for a sync after ``defaults.ROLLOUT_RESYNC_SECONDS``
in PENDING_* (``Neutron.resync``: its VPN service's description written back unchanged).

A first deployment waits for nothing (no connection 2 carries yet). Not a before-hook on
connection 2: a delete hook would also bind ``pulumi destroy`` to the program. Statuses are read
through openstacksdk with the provider's credentials (``OS_*`` variables, ``OS_CLOUD``, or the
stack's ``openstack:`` config).
"""

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import pulumi

from offline_engine import sdk
from sitevpn import defaults
from sitevpn.readiness import (
    Connection,
    RolloutSettings,
    renegotiated,
    restart_service,
    wait_until_carrying,
    wait_until_safe_to_restart,
    wait_until_updatable,
)

CONNECT_RETRIES = 5
"""Retries of a request whose connection failed (keystoneauth waits 0.5 s, doubling, between
them): a busy Keystone or Neutron can reset a connection while hundreds of resources are being
created, and one reset must not stop an `up` half-way."""


@contextlib.contextmanager
def cloud_errors(stack: str, site: str, error: type[Exception], left: str) -> Iterator[None]:
    """Keystone or Neutron failing a status query or restart (after the retries): a message
    naming the stack, the site and what was left as it was, never a traceback. Only the
    exception's type, and keystoneauth's own text (an address), are shown: Neutron's bodies can
    carry a connection's PSK."""
    from keystoneauth1.exceptions import ClientException
    from openstack.exceptions import SDKException

    try:
        yield
    except ClientException as e:
        why = f"{type(e).__name__}: {e}"
    except SDKException as e:
        status = getattr(e, "status_code", None)
        why = type(e).__name__ + (f" (HTTP {status})" if status else "")
    else:
        return
    raise error(
        f"stack '{stack}': site '{site}': the cloud did not answer the rollout's query ({why}); "
        f"{left}. Run `pulumi up` again once Keystone and Neutron answer"
    )


class Neutron:
    """Neutron's view of site connections and VPN services, through openstacksdk with the
    provider's credentials."""

    def __init__(self, config: Mapping[str, str]):
        # openstacksdk: imported on first use, only by ``pulumi up``
        import openstack.config
        import openstack.connection
        from keystoneauth1 import session

        explicit = {}
        if not (os.environ.get("OS_AUTH_URL") or os.environ.get("OS_CLOUD")):
            explicit = dict(
                auth_url=config.get("authUrl"),
                username=config.get("userName"),
                password=config.get("password"),
                project_name=config.get("tenantName"),
                user_domain_name=config.get("userDomainName", "Default"),
                project_domain_name=config.get("projectDomainName", "Default"),
                region_name=config.get("region"),
            )
        region = openstack.config.get_cloud_region(**explicit)
        # The session's retries also cover the token request (the services' own do not).
        region.set_session_constructor(
            functools.partial(session.Session, connect_retries=CONNECT_RETRIES)
        )
        self._conn = openstack.connection.Connection(config=region)

    def _connection(self, connection_id: str):
        net = self._conn.network
        return net.find_vpn_ipsec_site_connection(connection_id, ignore_missing=True)

    def status(self, connection_id: str) -> str | None:
        """A connection's status (None: no such connection)."""
        found = self._connection(connection_id)
        return None if found is None else found.status

    def find(self, name: str, service_id: str) -> str | None:
        """The status of the connection of that name on that service (None: none)."""
        net = self._conn.network
        found = list(net.vpn_ipsec_site_connections(name=name, vpnservice_id=service_id))
        return found[0].status if found else None

    def service_of(self, connection_id: str) -> str | None:
        """The VPN service a connection belongs to."""
        found = self._connection(connection_id)
        return None if found is None else found.vpnservice_id

    def connections(self) -> list[Connection]:
        """Every site connection the credentials see."""
        return [
            Connection(c.name, c.vpnservice_id, c.status)
            for c in self._conn.network.vpn_ipsec_site_connections()
        ]

    def service_status(self, service_id: str) -> str | None:
        """A VPN service's status as its agent last reported it."""
        found = self._conn.network.find_vpn_service(service_id, ignore_missing=True)
        return None if found is None else found.status

    def set_service_up(self, service_id: str, up: bool) -> None:
        """Set a VPN service's admin state."""
        self._conn.network.update_vpn_service(service_id, is_admin_state_up=up)

    def resync(self, connection_id: str) -> None:
        """Make the agent sync the connection's router: an update of its VPN service that
        writes the service's own description back (Neutron notifies the agent of any update;
        nothing changes, so no stack sees drift). A service Neutron will not update now
        (PENDING_*: 400) is left for the next try."""
        from openstack.exceptions import HttpException

        net = self._conn.network
        service_id = self.service_of(connection_id)
        if service_id is None:
            return
        service = net.get_vpn_service(service_id)
        try:
            net.update_vpn_service(service.id, description=service.description or "")
        except HttpException:
            pass


@dataclass
class Rollout:
    """The gate of one program run, shared by every pair."""

    stack: str
    settings: RolloutSettings
    component: str
    """The gated component's name: its hooks' names begin with it (unique in the stack)."""
    neutron: Neutron | None = None
    _changed: dict[str, tuple[str, bool, bool]] = field(default_factory=dict)
    """connection 1's resource name -> (its id, updated in place, to be negotiated again) when
    changed in this run."""

    _sites: dict[str, str] = field(default_factory=dict)
    """resource name of a connection -> its site key."""

    _existing: set[str] = field(default_factory=set)
    """connection 2s (resource names) that existed when their pair's gate ran."""

    _restarted: set[str] = field(default_factory=set)
    """VPN services restarted (or being restarted) in this run."""

    _restart_lock: threading.Lock = field(default_factory=threading.Lock)

    _client_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """One client (one token) for the whole run, however many gates ask for it at once."""

    def __post_init__(self) -> None:
        hook = self.component
        self.changed = pulumi.ResourceHook(f"{hook}-first-tunnel-changed", self._note)
        self.updatable = pulumi.ResourceHook(f"{hook}-connection-updatable", self._updatable)
        self.renewed = pulumi.ResourceHook(f"{hook}-second-tunnel-changed", self._renewed)

    @classmethod
    def for_update(cls, component: str, waits: Mapping[str, int]) -> "Rollout | None":
        """The gate of a component (``waits``: its ``RolloutArgs``, defaults applied here) in
        ``pulumi up`` by the engine, in the program or the component provider; None in a
        preview (nothing to wait for) and under the offline engine or unit-test mocks (no hooks
        run there)."""
        if pulumi.runtime.is_dry_run() or not sdk.engine_runs_hooks():
            return None
        settings = RolloutSettings(
            waits.get("timeout_seconds", defaults.ROLLOUT_TIMEOUT_SECONDS),
            waits.get("settle_seconds", defaults.ROLLOUT_SETTLE_SECONDS),
        )
        return cls(pulumi.get_stack(), settings, component)

    def for_site(self, site: str) -> "SiteRollout":
        """The rollout of one site's pair."""
        return SiteRollout(self, site)

    async def _note(self, args: pulumi.ResourceHookArgs) -> None:
        updated = args.old_outputs is not None
        again = not updated or bool(await _renegotiated(args))
        self._changed[args.name] = (args.id, updated, again)

    async def _updatable(self, args: pulumi.ResourceHookArgs) -> None:
        """Before an in-place update: Neutron refuses one while the connection is PENDING_*
        (400, half-way through an `up`), so wait for the agent's report first."""
        site = self._sites.get(args.name, args.name)
        with cloud_errors(self.stack, site, RuntimeError, "nothing was changed on the connection"):
            neutron = await self._client()
            ok, status = await asyncio.to_thread(
                wait_until_updatable,
                neutron.status,
                args.id,
                self.settings,
                resync=self._resync(site),
            )
        if not ok:
            raise RuntimeError(
                f"stack '{self.stack}': site '{site}': "
                f"connection {args.id} is still {status} after {self.settings.timeout_seconds} s;"
                " Neutron refuses to update it until its agent reports the tunnel. Nothing was "
                "changed on it; run `pulumi up` again later"
            )

    async def _renewed(self, args: pulumi.ResourceHookArgs) -> None:
        """After connection 2 was created in place of one that existed, or updated in what its
        tunnel negotiates: bring it up with its new settings and wait until it carries (so that
        the next change finds both tunnels up)."""
        updated = args.old_outputs is not None
        if not updated and args.name not in self._existing:
            return  # a new site's connection 2: nothing carried before it
        if updated and not await _renegotiated(args):
            return  # DPD, MTU, a name: nothing to negotiate again
        site = self._sites.get(args.name, args.name)
        left = "connection 2 was changed; check that tunnel 2 carries before the next change"
        with cloud_errors(self.stack, site, RuntimeError, left):
            await self._renegotiate(site, 2, args.id)
            carrying, status = await asyncio.to_thread(
                wait_until_carrying,
                self.neutron.status,
                args.id,
                self.settings,
                False,
                resync=self._resync(site),
            )
        if not carrying:
            raise RuntimeError(
                f"stack '{self.stack}': site '{site}': connection 2 ({args.id}) is {status} "
                f"{self.settings.timeout_seconds} s after its change (wanted ACTIVE); "
                "connection 1 carries. Check tunnel 2 on the customer device before the next "
                "change"
            )

    def _resync(self, site: str) -> Callable[[str], None]:
        """``Neutron.resync`` for a wait on one of the site's connections, saying so."""

        def resync(connection_id: str) -> None:
            pulumi.log.info(
                f"site '{site}': connection {connection_id} still pending after "
                f"{self.settings.resync_seconds:g} s; asking the agent to sync its router (the VPN "
                "service's description written back unchanged)"
            )
            self.neutron.resync(connection_id)

        return resync

    async def _client(self) -> Neutron:
        async with self._client_lock:
            if self.neutron is None:
                config = await provider_config()
                self.neutron = await asyncio.to_thread(Neutron, config)
        return self.neutron

    async def _renegotiate(self, site: str, tunnel: int, connection_id: str) -> None:
        """A replaced connection comes up only on a new negotiation: neutron-vpnaas's strongSwan
        driver reloads charon, which keeps the SAs of the connection it replaced. Restart the
        connection's VPN service once every pair on it has its other tunnel ACTIVE elsewhere;
        otherwise the operator re-establishes the tunnel (the warning says how)."""
        neutron = await self._client()
        service = await asyncio.to_thread(neutron.service_of, connection_id)
        pulumi.log.info(
            f"site '{site}': restarting VPN service {service} once every pair on it has its "
            f"other tunnel ACTIVE (tunnel {tunnel} of those pairs renegotiates) so that "
            f"connection {tunnel} comes up with its new settings"
        )
        why = await asyncio.to_thread(self._restart_when_safe, service)
        if why is None:
            # the moment a device that follows this change (a new customer address, an HA
            # switch) loads its step: earlier, the cloud still refuses the new settings, and a
            # device that got NO_PROPOSAL_CHOSEN does not try again by itself
            pulumi.log.info(
                f"site '{site}': VPN service {service} restarted with connection {tunnel}'s new "
                f"settings; waiting for it to come up (a customer device following this change "
                f"loads its configuration for tunnel {tunnel} now)"
            )
            return
        pulumi.log.warn(
            f"site '{site}': VPN service {service} not restarted ({why}): waiting up to "
            f"{self.settings.timeout_seconds} s for connection {tunnel} ({connection_id}) to come "
            f"up with its new settings; re-establish tunnel {tunnel} on the customer device "
            f"until the cloud reports it ACTIVE (`openstack vpn ipsec site connection show "
            f"{connection_id}`; strongSwan: swanctl --terminate --ike {site}-conn{tunnel}, then "
            f"swanctl --initiate --child {site}-conn{tunnel})"
        )

    def _restart_when_safe(self, service_id: str | None) -> str | None:
        """Restart a VPN service once it is safe, at most once per run (a second restart could
        cut a tunnel whose partner is being changed by then); None when restarted, else why
        not."""
        with self._restart_lock:
            if service_id is None:
                return "the connection is gone"
            if service_id in self._restarted:
                return "already restarted in this run"
            self._restarted.add(service_id)
        neutron = self.neutron
        safe, blockers = wait_until_safe_to_restart(neutron.connections, service_id, self.settings)
        if not safe:
            return "; ".join(blockers)
        stopped, status = restart_service(
            neutron.set_service_up, neutron.service_status, service_id, self.settings
        )
        return None if stopped else f"still {status} after it was set down; set up again"


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
            after = [self.rollout.renewed]
            return pulumi.ResourceHookBinding(
                before_update=before, after_create=after, after_update=after
            )
        after = [self.rollout.changed]
        return pulumi.ResourceHookBinding(
            before_update=before, after_create=after, after_update=after
        )

    async def gate(self, first: str, second: str, service_id: str) -> None:
        """Before connection 2 (resource ``second``) is registered: when connection 1 (resource
        ``first``) changed and connection 2 exists, bring connection 1 up with its new settings
        and wait for it to carry; RunError when it does not within the timeout."""
        changed = self.rollout._changed.get(first)
        if changed is None:
            return
        rollout = self.rollout
        left = "connection 2 was left as it was"
        with cloud_errors(rollout.stack, self.site, pulumi.RunError, left):
            neutron = await rollout._client()
            second_status = await asyncio.to_thread(neutron.find, second, service_id)
            if second_status is None:
                return  # no connection 2 yet (a new site): nothing to protect
            rollout._existing.add(second)
            # Any existing connection 2 counts as carrying: Neutron's status lags the tunnel (a
            # connection can stay PENDING_CREATE for minutes with its tunnel up).
            first_id, updated, again = changed
            if again:
                await rollout._renegotiate(self.site, 1, first_id)
            carrying, status = await asyncio.to_thread(
                wait_until_carrying,
                neutron.status,
                first_id,
                rollout.settings,
                updated,
                resync=rollout._resync(self.site),
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


async def _renegotiated(args: pulumi.ResourceHookArgs) -> list[str]:
    """The negotiated inputs an update changed; the SDK hands secret inputs (the PSK) to hooks
    as outputs, compared here by value and never shown."""

    async def plain(inputs: Mapping[str, object] | None) -> dict[str, object]:
        out = {}
        for key, value in (inputs or {}).items():
            out[key] = await value.future() if isinstance(value, pulumi.Output) else value
        return out

    return renegotiated(await plain(args.old_inputs), await plain(args.new_inputs))


async def provider_config() -> dict[str, str]:
    """The provider's ``openstack:`` credentials of this stack (those that are set)."""
    config = pulumi.Config("openstack")
    keys = ("authUrl", "userName", "tenantName", "userDomainName", "projectDomainName", "region")
    values = {k: config.get(k) for k in keys}
    password = config.get_secret("password")
    values["password"] = None if password is None else await password.future()
    return {k: v for k, v in values.items() if v is not None}
