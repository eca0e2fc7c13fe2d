"""Closed value sets shared by the stack config and the component Args (no Pulumi import).

Values are exactly what the neutron-vpnaas API accepts (neutron-lib ``api/definitions/vpn.py``),
so a typo fails at config time while a weak-but-valid choice reaches the policy pack.
"""

from enum import StrEnum


class HaMode(StrEnum):
    """How the two connections of a site share the load."""

    ACTIVE_ACTIVE = "active-active"
    """Two gateway EIPs toward one customer gateway IP; both tunnels carry traffic."""
    ACTIVE_STANDBY = "active-standby"
    """Two customer gateway IPs; connection 1 is active, connection 2 waits as standby."""


class IkeVersion(StrEnum):
    """IKE protocol version."""

    V1 = "v1"
    V2 = "v2"


class EncryptionAlgorithm(StrEnum):
    """IKE/ESP encryption algorithm."""

    DES3 = "3des"
    AES_128 = "aes-128"
    AES_192 = "aes-192"
    AES_256 = "aes-256"
    AES_128_CCM_8 = "aes-128-ccm-8"
    AES_192_CCM_8 = "aes-192-ccm-8"
    AES_256_CCM_8 = "aes-256-ccm-8"
    AES_128_CCM_12 = "aes-128-ccm-12"
    AES_192_CCM_12 = "aes-192-ccm-12"
    AES_256_CCM_12 = "aes-256-ccm-12"
    AES_128_CCM_16 = "aes-128-ccm-16"
    AES_192_CCM_16 = "aes-192-ccm-16"
    AES_256_CCM_16 = "aes-256-ccm-16"
    AES_128_GCM_8 = "aes-128-gcm-8"
    AES_192_GCM_8 = "aes-192-gcm-8"
    AES_256_GCM_8 = "aes-256-gcm-8"
    AES_128_GCM_12 = "aes-128-gcm-12"
    AES_192_GCM_12 = "aes-192-gcm-12"
    AES_256_GCM_12 = "aes-256-gcm-12"
    AES_128_GCM_16 = "aes-128-gcm-16"
    AES_192_GCM_16 = "aes-192-gcm-16"
    AES_256_GCM_16 = "aes-256-gcm-16"


class AuthAlgorithm(StrEnum):
    """IKE/ESP integrity algorithm."""

    SHA1 = "sha1"
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"
    AES_XCBC = "aes-xcbc"
    AES_CMAC = "aes-cmac"


class DhGroup(StrEnum):
    """Diffie-Hellman group for IKE and for IPsec perfect forward secrecy."""

    GROUP2 = "group2"
    GROUP5 = "group5"
    GROUP14 = "group14"
    GROUP15 = "group15"
    GROUP16 = "group16"
    GROUP17 = "group17"
    GROUP18 = "group18"
    GROUP19 = "group19"
    GROUP20 = "group20"
    GROUP21 = "group21"
    GROUP22 = "group22"
    GROUP23 = "group23"
    GROUP24 = "group24"
    GROUP25 = "group25"
    GROUP26 = "group26"
    GROUP27 = "group27"
    GROUP28 = "group28"
    GROUP29 = "group29"
    GROUP30 = "group30"
    GROUP31 = "group31"


class Phase1Mode(StrEnum):
    """IKEv1 phase 1 negotiation mode."""

    MAIN = "main"
    AGGRESSIVE = "aggressive"


class TransformProtocol(StrEnum):
    """IPsec transform protocol."""

    ESP = "esp"
    AH = "ah"
    AH_ESP = "ah-esp"


class EncapsulationMode(StrEnum):
    """IPsec encapsulation mode."""

    TUNNEL = "tunnel"
    TRANSPORT = "transport"


class DpdAction(StrEnum):
    """What a gateway does when dead peer detection declares the peer gone."""

    RESTART = "restart"
    HOLD = "hold"
    CLEAR = "clear"
    DISABLED = "disabled"
    RESTART_BY_PEER = "restart-by-peer"


class Initiator(StrEnum):
    """Whether a site connection initiates or only answers."""

    BI_DIRECTIONAL = "bi-directional"
    RESPONSE_ONLY = "response-only"


class SubnetAttachment(StrEnum):
    """How a gateway member's router reaches the VPC's local subnets."""

    EXISTING = "existing"
    """The router already has an interface on every local subnet."""
    INTERFACE = "interface"
    """Attach by subnet: the router takes each subnet's gateway IP."""
    PORT = "port"
    """Attach through a new port with another address on each subnet."""


class PskScope(StrEnum):
    """Which connections share a generated pre-shared key."""

    PAIR = "pair"
    """Both connections of a site use one key."""
    CONNECTION = "connection"
    """Each connection has a key of its own (connection 1's is named as the pair's)."""
