"""What neutron-vpnaas's strongSwan driver cannot run, though the API accepts it (pure).

The stack config refuses these values with the reason; the components refuse them too, for
users of the components (and the provider) who bypass the stack config. Every other value of
the algorithm enums negotiates against the driver's rendering (tests/e2e/test_crypto.py).
"""

REFUSED: dict[tuple[str, str], dict[str, str]] = {
    ("ike", "phase1_mode"): {
        "aggressive": (
            "neutron-vpnaas's strongSwan driver runs a stock charon, which refuses to answer "
            "IKEv1 Aggressive Mode with a pre-shared key (it exposes a hash of the PSK to "
            "offline cracking): the customer device could never bring the tunnel up; use 'main'"
        ),
    },
    ("ipsec", "transform"): {
        "ah-esp": (
            "'ah-esp' is not what the cloud would run: neutron-vpnaas's strongSwan driver "
            "renders it as ESP alone; use 'esp'"
        ),
    },
    ("ipsec", "encapsulation"): {
        "transport": (
            "'transport' protects only traffic between the two gateways themselves; a site "
            "VPN between subnets needs 'tunnel'"
        ),
    },
}


def refusal(section: str, field: str, value: object) -> str | None:
    """Why the driver cannot run ``value`` for ``section.field`` (None: it can)."""
    return REFUSED.get((section, field), {}).get(str(value))


def refusals(section: str, values: dict) -> list[str]:
    """Every refusal among a policy's settings, as '<field> = <value>: <reason>'."""
    return [
        f"{field} = {value!r}: {reason}"
        for field, value in values.items()
        if (reason := refusal(section, field, value)) is not None
    ]
