"""Pre-shared key strength. Reasons never contain the key or any part of it."""

SPECIALS = frozenset("~!@#$%^*()-_+={},./:;")
MAX_LENGTH = 128


def psk_problems(psk: str, min_length: int) -> list[str]:
    """Why a PSK is too weak (empty when it is fine)."""
    problems = []
    if not min_length <= len(psk) <= MAX_LENGTH:
        problems.append(f"length {len(psk)} is outside {min_length}-{MAX_LENGTH} characters")
    classes = {
        "upper": any(c.isascii() and c.isupper() for c in psk),
        "lower": any(c.isascii() and c.islower() for c in psk),
        "digit": any(c.isascii() and c.isdigit() for c in psk),
        "special": any(c in SPECIALS for c in psk),
    }
    if sum(classes.values()) < 3:
        missing = ", ".join(k for k, v in classes.items() if not v)
        problems.append(f"uses fewer than three character classes (missing: {missing})")
    bad = sum(1 for c in psk if not (c.isascii() and c.isalnum()) and c not in SPECIALS)
    if bad:
        problems.append(
            f"contains {bad} character(s) outside letters, digits and {''.join(sorted(SPECIALS))}"
        )
    return problems
