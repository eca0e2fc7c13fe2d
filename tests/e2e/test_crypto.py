"""Every algorithm and DH group the stack config accepts, negotiated between the generated device
config and neutron-vpnaas's strongSwan driver (what it renders from what Neutron stored).

One site per case, in batches (one deployment each). For each site's connection 1:
- the customer device (the program's ``deviceConfigs``) lists the design's IKE suite and, after
  a forced rekey, the design's ESP suite with the PFS group;
- the cloud's charon selected exactly the design's suite, and it is the first proposal the
  driver configured: its rendering matched, not charon's default proposals, which its non-strict
  ike=/esp= lines also accept.
AH negotiates the same way, but the lab's userspace IPsec (kernel-libipsec) cannot install an
AH SA (a network node's kernel can): that case is checked up to the cloud's refusal to install.

Values the driver cannot run (aggressive mode, ah-esp, transport) are refused by the stack
config; tests/unit/test_invalid_config.py shows the messages.
"""

import copy
import re
import time

import pytest

from sitevpn.enums import AuthAlgorithm, DhGroup, EncryptionAlgorithm
from tests.cloud.fixture import INTERNET_NET
from tests.e2e.conftest import attach, e2e_values, record, wait_for_children_or_initiate
from tests.e2e.test_interop import rekey

# How charon names what the config calls each value (independent of components/device_config).
CIPHERS = {
    "3des": "3DES_CBC",
    **{f"aes-{b}": f"AES_CBC_{b}" for b in (128, 192, 256)},
    **{
        f"aes-{b}-{mode}-{icv}": f"AES_{mode.upper()}_{icv}_{b}"
        for b in (128, 192, 256)
        for mode in ("ccm", "gcm")
        for icv in (8, 12, 16)
    },
}
INTEGRITY = {
    "sha1": "HMAC_SHA1_96",
    "sha256": "HMAC_SHA2_256_128",
    "sha384": "HMAC_SHA2_384_192",
    "sha512": "HMAC_SHA2_512_256",
    "aes-xcbc": "AES_XCBC_96",
    "aes-cmac": "AES_CMAC_96",
}
PRF = {
    "sha1": "PRF_HMAC_SHA1",
    "sha256": "PRF_HMAC_SHA2_256",
    "sha384": "PRF_HMAC_SHA2_384",
    "sha512": "PRF_HMAC_SHA2_512",
    "aes-xcbc": "PRF_AES128_XCBC",
    "aes-cmac": "PRF_AES128_CMAC",
}
GROUPS = {
    "group2": "MODP_1024",
    "group5": "MODP_1536",
    "group14": "MODP_2048",
    "group15": "MODP_3072",
    "group16": "MODP_4096",
    "group17": "MODP_6144",
    "group18": "MODP_8192",
    "group19": "ECP_256",
    "group20": "ECP_384",
    "group21": "ECP_521",
    "group22": "MODP_1024_160",
    "group23": "MODP_2048_224",
    "group24": "MODP_2048_256",
    "group25": "ECP_192",
    "group26": "ECP_224",
    "group27": "ECP_224_BP",
    "group28": "ECP_256_BP",
    "group29": "ECP_384_BP",
    "group30": "ECP_512_BP",
    "group31": "CURVE_25519",
}
ENCRYPTIONS = [e.value for e in EncryptionAlgorithm]
AUTHS = [a.value for a in AuthAlgorithm]
DH = [g.value for g in DhGroup]
DEFAULT = {"encryption": "aes-256", "auth": "sha256", "dhGroup": "group15", "pfs": "group15"}


def cases() -> list[dict]:
    """One site design per case: together every value of every algorithm field, in IKE and in
    ESP (the PFS groups offset from the IKE groups, so each is proven at a rekey)."""
    out = []
    for i, encryption in enumerate(ENCRYPTIONS):
        auth = AUTHS[i % len(AUTHS)]  # the four non-AEAD ciphers come first: sha1 ... sha512
        out.append(
            {
                "ike": {"encryption": encryption, "auth": auth, "dhGroup": DH[i % len(DH)]},
                "ipsec": {"encryption": encryption, "auth": auth, "pfs": DH[(i + 3) % len(DH)]},
            }
        )
    for auth in ("aes-xcbc", "aes-cmac"):  # as integrity (not only as a PRF), IKE and ESP
        out.append({"ike": {"auth": auth}, "ipsec": {"auth": auth}})
    out.append({"ike": {}, "ipsec": {"transform": "ah", "auth": "sha512"}})
    out.append({"ike": {"version": "v1"}, "ipsec": {"encryption": "aes-128-gcm-16"}})
    return out


CASES = cases()
BATCH = 13
BATCHES = [CASES[i : i + BATCH] for i in range(0, len(CASES), BATCH)]


def lab_cannot_install(case: dict) -> bool:
    """AH: the lab's userspace IPsec (kernel-libipsec) installs ESP only; a network node's
    kernel XFRM installs AH. Such a case is checked up to the negotiation."""
    return case["ipsec"].get("transform") == "ah"


def expected(case: dict) -> tuple[set[str], set[str]]:
    """(IKE suite, CHILD_SA suite with its PFS group) in charon's names, as token sets."""
    ike = DEFAULT | case["ike"]
    ipsec = DEFAULT | case["ipsec"]
    aead = "cm-" in ike["encryption"]
    ike_suite = {CIPHERS[ike["encryption"]], PRF[ike["auth"]], GROUPS[ike["dhGroup"]]}
    if not aead:
        ike_suite.add(INTEGRITY[ike["auth"]])
    if ipsec.get("transform") == "ah":
        child = {INTEGRITY[ipsec["auth"]], GROUPS[ipsec["pfs"]]}
    elif "cm-" in ipsec["encryption"]:
        child = {CIPHERS[ipsec["encryption"]], GROUPS[ipsec["pfs"]]}
    else:
        child = {CIPHERS[ipsec["encryption"]], INTEGRITY[ipsec["auth"]], GROUPS[ipsec["pfs"]]}
    return ike_suite, child


def tokens(suite: str) -> set[str]:
    """A suite as charon prints it (log or swanctl) -> its algorithm tokens."""
    suite = re.sub(r"^(IKE|ESP|AH):", "", suite.strip())
    # swanctl writes a key size as -256, the log as _256
    suite = re.sub(r"-(\d+)\b", r"_\1", suite)
    return {t for t in suite.split("/") if t not in ("NO_EXT_SEQ", "EXT_SEQ")}


def batch_values(batch: list[dict], offset: int) -> dict:
    """The dev stack with one site per case (own customer address, subnet and tunnels)."""
    values = e2e_values("dev")
    template = values["sites"][0]
    values["sites"] = []
    for k, case in enumerate(batch):
        n = offset + k
        site = copy.deepcopy(template)
        site["name"] = f"c{n:02d}"
        site["customerGateway"]["addresses"] = [str(INTERNET_NET[40 + k])]
        site["subnets"] = [f"172.16.{n}.0/24"]
        site["tunnels"] = [
            {"customer": f"169.254.{100 + n}.2/30"},
            {"customer": f"169.254.{100 + n}.6/30"},
        ]
        if case["ike"]:
            site["ike"] = dict(case["ike"])
        site["ipsec"] = dict(case["ipsec"])
        values["sites"].append(site)
    return values


def selections(log: str, connection_id: str) -> list[tuple[list[str], str]]:
    """(configured proposals, selected proposal) of every negotiation charon logged for a
    connection, in order (lines carry the IKE_SA's name and unique id with ike_name = yes)."""
    owner: dict[str, str] = {}
    for m in re.finditer(r"<([0-9a-f-]{36})\|(\d+)>", log):
        owner[m.group(2)] = m.group(1)
    configured: dict[str, list[str]] = {}
    out = []
    for line in log.splitlines():
        m = re.search(r"<(?:[^|>]*\|)?(\d+)> (configured|selected) proposals?: (.*)$", line)
        if not m or owner.get(m.group(1)) != connection_id:
            continue
        if m.group(2) == "configured":
            configured[m.group(1)] = [p.strip() for p in m.group(3).split(", ")]
        else:
            out.append((configured.get(m.group(1), []), m.group(3).strip()))
    return out


def telling(log: str, name: str) -> str:
    """The lines of a charon log about one connection that say why it failed."""
    ids = {m.group(1) for m in re.finditer(rf"<{re.escape(name)}\|(\d+)>", log)}
    keep = re.compile(r"proposal|NO_PROP|TS_UN|fail|unsupport|unable|route|AUTH_FAILED|INVALID")
    lines = [
        line
        for line in log.splitlines()
        if (name in line or any(f"<{i}>" in line or f"|{i}>" in line for i in ids))
        and keep.search(line)
    ]
    return "\n".join(lines[-12:])


@pytest.mark.parametrize("batch", range(len(BATCHES)))
def test_every_accepted_algorithm_negotiates_with_the_driver(cloud, deploy, lab, batch):
    started = time.monotonic()
    cases_ = BATCHES[batch]
    values = batch_values(cases_, batch * BATCH)
    d = deploy(values, "dev")
    sites = [s["name"] for s in values["sites"]]
    attach(lab, d, sites)
    lab.start_customer(
        "\n".join(d.device_config(s) for s in sites),
        [str(s["cidr"]) for s in values["vpc"]["subnets"]],
    )
    lab.load_customer()
    # whichever the lab installs (a child that never does is reported with the reason)
    wanted = {f"{s}-conn1" for s, c in zip(sites, cases_, strict=True) if not lab_cannot_install(c)}
    wait_for_children_or_initiate(lab, wanted, timeout=45)
    router = d.gateway["routerIds"][0]
    installed = set(lab.child_sas())
    failures = []
    for site, case in zip(sites, cases_, strict=True):
        ike_suite, child_suite = expected(case)
        conn = d.connection_ids(site)[0]
        child = f"{site}-conn1"
        if lab_cannot_install(case):
            # negotiated (checked below from the cloud's log), then refused by userspace IPsec
            if "unable to install inbound and outbound IPsec SA" not in telling(
                cloud.charon_log(router), conn
            ):
                failures.append((site, case, "AH install", telling(cloud.charon_log(router), conn)))
        elif child in installed:
            sa = lab.child_sas()[child]
            if tokens(sa.ike_algorithms) != ike_suite:
                failures.append((site, case, "customer IKE", sa.ike_algorithms))
            # IKEv1 negotiates PFS in every Quick Mode, the first included; IKEv2 only at a rekey
            rekeyed = sa if case["ike"].get("version") == "v1" else rekey(lab, child)
            if rekeyed is None:
                failures.append((site, case, "rekey", telling(lab.log(), child)))
            elif tokens(rekeyed.algorithms) != child_suite:
                failures.append((site, case, "customer child", rekeyed.algorithms))
        else:
            why = telling(lab.log(), child) + "\ncloud:\n" + telling(cloud.charon_log(router), conn)
            failures.append((site, case, "not installed", why))
        # the cloud's side: the driver's own rendering was the proposal selected
        deadline = time.monotonic() + 30
        while True:
            seen = selections(cloud.charon_log(router), conn)
            ike = [(c, s) for c, s in seen if s.startswith("IKE:")]
            children = [(c, s) for c, s in seen if not s.startswith("IKE:")]
            if (ike and children) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if not ike or not children:
            failures.append((site, case, "cloud", telling(cloud.charon_log(router), conn)))
            continue
        configured, selected = ike[-1]
        if tokens(selected) != ike_suite or tokens(configured[0]) != ike_suite:
            failures.append((site, case, "cloud IKE", (selected, configured[:1])))
        # the CHILD_SA of IKE_AUTH carries no PFS group; a rekey's does
        child_no_pfs = {t for t in child_suite if t not in GROUPS.values()}
        for configured, selected in children:
            if not child_no_pfs <= tokens(selected) <= child_suite:
                failures.append((site, case, "cloud child", (selected, configured[:1])))
            if not child_no_pfs <= tokens(configured[0]) <= child_suite:
                failures.append((site, case, "cloud child configured", configured[:1]))
    assert not failures, "\n".join(map(str, failures))
    record("crypto_batch", time.monotonic() - started)
