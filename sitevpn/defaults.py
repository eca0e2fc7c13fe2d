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
    TransformProtocol,
)

IKE_VERSION = IkeVersion.V2
ENCRYPTION = EncryptionAlgorithm.AES_256
AUTH = AuthAlgorithm.SHA256
DH_GROUP = DhGroup.GROUP15
PHASE1_MODE = Phase1Mode.MAIN
IKE_LIFETIME_SECONDS = 86400
IPSEC_LIFETIME_SECONDS = 3600
TRANSFORM = TransformProtocol.ESP
ENCAPSULATION = EncapsulationMode.TUNNEL
DPD_ACTION = DpdAction.RESTART
DPD_INTERVAL_SECONDS = 30
DPD_TIMEOUT_SECONDS = 120
MTU = 1500

# Generated PSKs: long, and drawn only from the specials the reference documents allow.
PSK_LENGTH = 32
PSK_SPECIALS = "~!@#$%^*()-_+={},./:;"
