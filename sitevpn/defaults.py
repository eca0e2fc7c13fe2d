"""Strong crypto and DPD defaults, set explicitly on every policy (no Pulumi import).

pulumi-openstack's own defaults (IKEv1, sha1, aes-128, group5) are weak and current
neutron-vpnaas rejects sha1 outright, so nothing is ever left to the provider.
"""

from sitevpn.enums import (
    AuthAlgorithm,
    DhGroup,
    DpdAction,
    EncapsulationMode,
    EncryptionAlgorithm,
    IkeVersion,
    Phase1Mode,
    PskScope,
    TransformProtocol,
)

# One mapping per Args type (sitevpn/vpn_connection_pair.py), keyed by its field names: the
# config models take their defaults from here, and design.resolve_crypto applies them.
IKE = {
    "version": IkeVersion.V2,
    "encryption": EncryptionAlgorithm.AES_256,
    "auth": AuthAlgorithm.SHA256,
    "dh_group": DhGroup.GROUP15,
    "lifetime_seconds": 86400,
    "phase1_mode": Phase1Mode.MAIN,
}
IPSEC = {
    "encryption": EncryptionAlgorithm.AES_256,
    "auth": AuthAlgorithm.SHA256,
    "pfs": DhGroup.GROUP15,
    "lifetime_seconds": 3600,
    "transform": TransformProtocol.ESP,
    "encapsulation": EncapsulationMode.TUNNEL,
}
DPD = {
    "action": DpdAction.RESTART,
    "interval_seconds": 30,
    "timeout_seconds": 120,
}
MTU = 1500
# Day 2 (sitevpn/rollout.py): how long connection 2 waits for connection 1 to carry again, and
# how long an updated connection 1 must stay ACTIVE (neutron-vpnaas's agent reports a tunnel's
# status every ipsec_status_check_interval, 60 s by default).
ROLLOUT_TIMEOUT_SECONDS = 900
ROLLOUT_SETTLE_SECONDS = 60
# neutron-vpnaas 28's agent takes a connection out of PENDING_* only in a sync that runs once
# charon lists it: a connection created (or its service restarted) just before may stay
# PENDING_CREATE with its tunnel up until the agent syncs again. After this long in PENDING_*,
# the rollout asks for a sync (a no-op update of the connection's VPN service).
ROLLOUT_RESYNC_SECONDS = 30

# Generated PSKs: long, and drawn only from the specials the reference documents allow.
PSK_FIRST_GENERATION = 1
"""The generated PSK a pair starts with (named ``<pair>-psk``, as before rotation existed)."""
PSK_SCOPE = PskScope.PAIR
"""One generated key per site unless per-connection keys are asked for."""
PSK_LENGTH = 32
PSK_SPECIALS = "~!@#$%^*()-_+={},./:;"
