"""VpnConnectionPair: two site connections that share one IKE policy, IPsec policy and (unless
per-connection keys are asked for) PSK."""

from collections.abc import Awaitable, Sequence
from typing import NotRequired, TypedDict, TypeVar

import pulumi
import pulumi_openstack as openstack
import pulumi_random as random

from sitevpn import defaults, driver_support
from sitevpn.design import resolve_crypto, resolve_mtu, resolve_tunnel_gateway
from sitevpn.enums import (
    AuthAlgorithm,
    DhGroup,
    DpdAction,
    EncapsulationMode,
    EncryptionAlgorithm,
    HaMode,
    IkeVersion,
    Phase1Mode,
    PskScope,
    TransformProtocol,
)
from sitevpn.rollout import Rollout, SiteRollout
from sitevpn.topology import PAIR_ROLES, PairRole

T = TypeVar("T")


class IkePolicyArgs(TypedDict, total=False):
    """IKE (phase 1) settings; anything left out takes the strong default."""

    version: IkeVersion
    """IKE version (default v2)."""
    encryption: EncryptionAlgorithm
    """Encryption algorithm (default aes-256)."""
    auth: AuthAlgorithm
    """Integrity algorithm (default sha256)."""
    dh_group: DhGroup
    """Diffie-Hellman group (default group15)."""
    lifetime_seconds: int
    """SA lifetime in seconds (default 86400)."""
    phase1_mode: Phase1Mode
    """IKEv1 phase 1 negotiation mode (default main)."""


class IpsecPolicyArgs(TypedDict, total=False):
    """IPsec (phase 2) settings; anything left out takes the strong default."""

    encryption: EncryptionAlgorithm
    """Encryption algorithm (default aes-256)."""
    auth: AuthAlgorithm
    """Integrity algorithm (default sha256)."""
    pfs: DhGroup
    """Perfect forward secrecy group (default group15)."""
    lifetime_seconds: int
    """SA lifetime in seconds (default 3600)."""
    transform: TransformProtocol
    """Transform protocol (default esp)."""
    encapsulation: EncapsulationMode
    """Encapsulation mode (default tunnel)."""


class DpdArgs(TypedDict, total=False):
    """Dead peer detection; anything left out takes the default."""

    action: DpdAction
    """Action when the peer is declared dead (default restart)."""
    interval_seconds: int
    """Seconds between probes (default 30)."""
    timeout_seconds: int
    """Seconds without answer before the peer is dead (default 120)."""


class PskRotationArgs(TypedDict, total=False):
    """Rotation of a generated PSK; without it, generation 1."""

    generation: int
    """The generation of generated PSKs the connections use (default 1)."""
    prepare: bool
    """Also generate the next generation and hand it to the device configuration
    (``device_psks``) while the connections keep theirs (default false)."""
    scope: PskScope
    """The scope of the prepared generation (default: the pair's ``psk_scope``): a scope
    changes by preparing the next generation in the new one, then moving to it."""


class PairConnectionArgs(TypedDict):
    """One connection of the pair (connection 1 first)."""

    vpnservice_id: pulumi.Input[str]
    """The gateway member's VPN service."""
    local_endpoint_group_id: pulumi.Input[str]
    """The member's local endpoint group (type subnet)."""
    peer_address: pulumi.Input[str]
    """The customer gateway address this connection reaches."""
    peer_id: NotRequired[pulumi.Input[str]]
    """IKE identity of the customer device (default: the peer address)."""
    tunnel_customer_address: str
    """Customer-side tunnel interface address, e.g. 169.254.70.2/30."""
    tunnel_gateway_address: NotRequired[str]
    """Cloud-side tunnel interface address (default: the other host of the /30)."""


class TunnelPlan(TypedDict):
    """The address plan of one connection.

    Field names are the wire (schema) names: list items of outputs reach stack outputs and other
    languages unrenamed, so they are camelCase here too.
    """

    connection: str
    """Connection key: conn1 or conn2."""
    role: str
    """active or standby."""
    initiator: str
    """bi-directional or response-only."""
    gatewayAddress: str
    """Cloud-side tunnel interface address."""
    customerAddress: str
    """Customer-side tunnel interface address (the customer device's local address)."""


class RolloutArgs(TypedDict):
    """Day-2 changes under ``pulumi up``: connection 2 of a pair waits until connection 1
    carries again."""

    timeout_seconds: NotRequired[int]
    """Longest wait for connection 1 after its change (default 900); then the update stops,
    connection 2 untouched."""
    settle_seconds: NotRequired[int]
    """How long an updated connection 1 must stay ACTIVE (default 60; at least the cloud's
    ``ipsec_status_check_interval``)."""


class VpnConnectionPairArgs(TypedDict):
    """Inputs of a VpnConnectionPair."""

    ha_mode: HaMode
    """active-active or active-standby."""
    connections: Sequence[PairConnectionArgs]
    """Exactly two: connection 1, then connection 2."""
    peer_endpoint_group_id: pulumi.Input[str]
    """The customer gateway's peer endpoint group (type cidr)."""
    ike: NotRequired[IkePolicyArgs]
    """IKE policy shared by both connections."""
    ipsec: NotRequired[IpsecPolicyArgs]
    """IPsec policy shared by both connections."""
    dpd: NotRequired[DpdArgs]
    """Dead peer detection of both connections."""
    mtu: NotRequired[int]
    """MTU of both connections (default 1500)."""
    psk: NotRequired[pulumi.Input[str]]
    """Pre-shared key of both connections; 32-character ones are generated when absent."""
    psk_rotation: NotRequired[PskRotationArgs]
    """Which generated PSK the connections use, and whether the next one is prepared (only
    without ``psk``)."""
    psk_scope: NotRequired[PskScope]
    """Generated PSKs: one for the pair (default) or one per connection (only without
    ``psk``). Change it with a rotation (``psk_rotation.scope``): the devices need the new keys
    first."""
    rollout: NotRequired[RolloutArgs]
    """Day-2 waits of ``pulumi up`` (one tunnel at a time)."""


class VpnConnectionPair(pulumi.ComponentResource):
    """Connection 1 and connection 2 of one site, identical by construction but for their ends."""

    ha_mode: pulumi.Output[str]
    """active-active or active-standby."""
    connection_ids: pulumi.Output[list[str]]
    """Ids of connection 1 and connection 2."""
    ike_policy_id: pulumi.Output[str]
    """The shared IKE policy."""
    ipsec_policy_id: pulumi.Output[str]
    """The shared IPsec policy."""
    tunnels: pulumi.Output[list[TunnelPlan]]
    """Tunnel interface address plan of both connections."""
    psk: pulumi.Output[str]
    """Connection 1's pre-shared key, the pair's unless keys are per connection (secret)."""
    psks: pulumi.Output[list[str]]
    """Each connection's pre-shared key, connection 1 first (secret)."""
    device_psks: pulumi.Output[list[str]]
    """The pre-shared keys the customer device should hold, connection 1 first (secret):
    ``psks``, or the prepared next generation."""
    psk_scope: pulumi.Output[str]
    """pair or connection: whether the two connections share one key (read by the pack)."""

    def __init__(
        self,
        name: str,
        args: VpnConnectionPairArgs,
        opts: pulumi.ResourceOptions | None = None,
        rollout: SiteRollout | None = None,
    ):
        """``rollout``: the gate of the SiteVpn this pair belongs to (otherwise the pair has
        one of its own, from ``args['rollout']``)."""
        super().__init__("sitevpn:index:VpnConnectionPair", name, {}, opts)
        if rollout is None and (own := Rollout.for_update(name, args.get("rollout", {}))):
            rollout = own.for_site(name)
        connections = list(args["connections"])
        if len(connections) != 2:
            raise ValueError(
                f"VpnConnectionPair {name}: exactly two connections, got {len(connections)}"
            )
        ha_mode = HaMode(args["ha_mode"])
        ike = args.get("ike", {})
        ipsec = args.get("ipsec", {})
        dpd = args.get("dpd", {})
        refused = driver_support.refusals("ike", dict(ike)) + driver_support.refusals(
            "ipsec", dict(ipsec)
        )
        if refused:
            raise ValueError(f"VpnConnectionPair {name}: " + "; ".join(refused))
        crypto = resolve_crypto(ike, ipsec, dpd)
        # Neutron refuses any update of a policy a connection uses (409 IKEPolicyInUse), so a
        # crypto change makes a new policy, moves the connections (one at a time, below) and
        # deletes the old policy last, once nothing uses it.
        # Their Neutron names stay as first deployed: a renamed site (aliases) must not make new
        # policies, and Neutron refuses even a name change of a policy in use.
        versioned = pulumi.ResourceOptions(
            parent=self, replace_on_changes=["*"], ignore_changes=["name"]
        )
        ike_policy = openstack.vpnaas.IkePolicy(
            f"{name}-ike",
            name=f"{name}-ike",
            ike_version=crypto.ike["version"],
            encryption_algorithm=crypto.ike["encryption"],
            auth_algorithm=crypto.ike["auth"],
            pfs=crypto.ike["dh_group"],
            phase1_negotiation_mode=crypto.ike["phase1_mode"],
            lifetimes=[{"units": "seconds", "value": crypto.ike["lifetime_seconds"]}],
            opts=versioned,
        )
        ipsec_policy = openstack.vpnaas.IpSecPolicy(
            f"{name}-ipsec",
            name=f"{name}-ipsec",
            encryption_algorithm=crypto.ipsec["encryption"],
            auth_algorithm=crypto.ipsec["auth"],
            pfs=crypto.ipsec["pfs"],
            transform_protocol=crypto.ipsec["transform"],
            encapsulation_mode=crypto.ipsec["encapsulation"],
            lifetimes=[{"units": "seconds", "value": crypto.ipsec["lifetime_seconds"]}],
            opts=versioned,
        )
        keys, device_keys, scope = self._keys(name, args, PAIR_ROLES[ha_mode])
        psks = [pulumi.Output.secret(k) for k in keys]
        dpds = [
            {
                "action": crypto.dpd["action"],
                "interval": crypto.dpd["interval_seconds"],
                "timeout": crypto.dpd["timeout_seconds"],
            }
        ]
        built: list[openstack.vpnaas.SiteConnection] = []
        plans: list[TunnelPlan] = []
        for role, spec in zip(PAIR_ROLES[ha_mode], connections, strict=True):
            customer = spec["tunnel_customer_address"]
            plans.append(
                TunnelPlan(
                    connection=role.key,
                    role=role.role,
                    initiator=str(role.initiator),
                    gatewayAddress=resolve_tunnel_gateway(
                        customer, spec.get("tunnel_gateway_address")
                    ),
                    customerAddress=customer,
                )
            )
            # Connection 2 waits for connection 1 (and with ``rollout``, for connection 1 to carry
            # again), so an update or replacement never takes both tunnels down at once. A
            # replaced connection goes before its successor comes: two connections of one peer
            # on one router would both bring up the same traffic selectors.
            resource_name = f"{name}-{role.key}"
            after: pulumi.Input = built[-1:]
            if rollout and built:
                after = pulumi.Output.all(built[0].id, spec["vpnservice_id"]).apply(
                    lambda v, first=built[0], second=resource_name: _then(
                        rollout.gate(f"{name}-conn1", second, v[1]), [first]
                    )
                )
            built.append(
                openstack.vpnaas.SiteConnection(
                    resource_name,
                    name=resource_name,
                    description=f"{role.role} connection {role.key} of {name}",
                    vpnservice_id=spec["vpnservice_id"],
                    ikepolicy_id=ike_policy.id,
                    ipsecpolicy_id=ipsec_policy.id,
                    local_ep_group_id=spec["local_endpoint_group_id"],
                    peer_ep_group_id=args["peer_endpoint_group_id"],
                    peer_address=spec["peer_address"],
                    peer_id=spec.get("peer_id", spec["peer_address"]),
                    psk=psks[len(built)],
                    initiator=str(role.initiator),
                    admin_state_up=True,
                    mtu=resolve_mtu(args.get("mtu")),
                    dpds=dpds,
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        additional_secret_outputs=["psk"],
                        depends_on=after,
                        delete_before_replace=True,
                        hooks=rollout.hooks(len(built), resource_name) if rollout else None,
                    ),
                )
            )
        self.ha_mode = pulumi.Output.from_input(str(ha_mode))
        self.connection_ids = pulumi.Output.all(*(c.id for c in built))
        self.ike_policy_id = ike_policy.id
        self.ipsec_policy_id = ipsec_policy.id
        self.tunnels = pulumi.Output.from_input(plans)
        self.psk = psks[0]
        self.psks = pulumi.Output.secret(pulumi.Output.all(*psks))
        self.device_psks = pulumi.Output.secret(pulumi.Output.all(*device_keys))
        self.psk_scope = pulumi.Output.from_input(str(scope))
        self.register_outputs(
            {
                "haMode": self.ha_mode,
                "connectionIds": self.connection_ids,
                "ikePolicyId": self.ike_policy_id,
                "ipsecPolicyId": self.ipsec_policy_id,
                "tunnels": plans,
                "psk": self.psk,
                "psks": self.psks,
                "devicePsks": self.device_psks,
                "pskScope": self.psk_scope,
            }
        )

    def _keys(
        self, name: str, args: VpnConnectionPairArgs, roles: Sequence[PairRole]
    ) -> tuple[list[pulumi.Input[str]], list[pulumi.Input[str]], PskScope]:
        """The connections' keys, the device's keys (connection 1 first) and the scope."""
        rotation = args.get("psk_rotation", {})
        generation = rotation.get("generation", defaults.PSK_FIRST_GENERATION)
        scope = PskScope(args.get("psk_scope", defaults.PSK_SCOPE))
        psk = args.get("psk")
        if psk is not None:
            if rotation.get("prepare") or generation != defaults.PSK_FIRST_GENERATION:
                raise ValueError(
                    f"VpnConnectionPair {name}: psk_rotation rotates a generated PSK; a given "
                    "psk is rotated by giving the new one"
                )
            if scope != defaults.PSK_SCOPE or "scope" in rotation:
                raise ValueError(
                    f"VpnConnectionPair {name}: psk_scope {scope} chooses how PSKs are "
                    "generated; a given psk is the one of both connections"
                )
            return [psk, psk], [psk, psk], scope
        made: dict[tuple[str, int], pulumi.Output[str]] = {}

        def keys_of(gen: int, of: PskScope) -> list[pulumi.Input[str]]:
            # connection 1's key is the pair's in either scope
            owners = [name, name if of == PskScope.PAIR else f"{name}-{roles[1].key}"]
            for owner in owners:
                if (owner, gen) not in made:
                    made[owner, gen] = self._generated(owner, gen)
            return [made[owner, gen] for owner in owners]

        keys = keys_of(generation, scope)
        if rotation.get("prepare"):
            return keys, keys_of(generation + 1, PskScope(rotation.get("scope", scope))), scope
        return keys, keys, scope

    def _generated(self, name: str, generation: int) -> pulumi.Output[str]:
        """A generated PSK. Generation 1 keeps the name it always had (an upgrade must not
        re-key); each later one is a resource of its own, so that the next can be prepared
        while the connections still use the current one."""
        suffix = "" if generation == defaults.PSK_FIRST_GENERATION else f"-{generation}"
        return random.RandomPassword(
            f"{name}-psk{suffix}",
            length=defaults.PSK_LENGTH,
            special=True,
            override_special=defaults.PSK_SPECIALS,
            min_upper=2,
            min_lower=2,
            min_numeric=2,
            min_special=2,
            opts=pulumi.ResourceOptions(parent=self),
        ).result


async def _then(gate: Awaitable[None], value: T) -> T:
    """``value`` once ``gate`` passed (raises what the gate raises)."""
    await gate
    return value
