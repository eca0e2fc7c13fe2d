"""The stack file's models and the component Args describe the same concepts: the models exist
only because the SDK's schema inference cannot read the ``Annotated`` validators that strict
address parsing needs. Every field of one is a field of the other, with the same enum type, and
what the models hand to the components (``SiteConfig.args()``) fits the Args."""

import enum
import typing
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitevpn import config
from sitevpn.site_vpn import CustomerGatewaySpec, SiteArgs, SiteVpnArgs, TunnelArgs
from sitevpn.vpn_connection_pair import DpdArgs, IkePolicyArgs, IpsecPolicyArgs
from tests.conftest import stack_config

# (model, Args, Args fields the stack file does not set: secrets and ids resolved at run time)
PAIRS = [
    (config.IkeConfig, IkePolicyArgs, set()),
    (config.IpsecConfig, IpsecPolicyArgs, set()),
    (config.DpdConfig, DpdArgs, set()),
    (config.TunnelConfig, TunnelArgs, set()),
    (config.CustomerGatewayConfig, CustomerGatewaySpec, set()),
    (config.SiteConfig, SiteArgs, {"psk"}),
]


def _enum(annotation):
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, enum.Enum):
            return arg
    return None


@pytest.mark.parametrize(("model", "args", "extra"), PAIRS, ids=[p[1].__name__ for p in PAIRS])
def test_fields_agree(model, args, extra):
    hints = dict(args.__annotations__)
    assert set(model.model_fields) == set(hints) - extra
    for name, field in model.model_fields.items():
        want = _enum(
            typing.get_args(hints[name])[0] if _is_not_required(hints[name]) else hints[name]
        )
        assert _enum(field.annotation) == want, name


def _is_not_required(annotation) -> bool:
    return typing.get_origin(annotation) is typing.NotRequired


def test_stack_wide_settings_agree():
    hints = dict(SiteVpnArgs.__annotations__)
    keys = set(config.StackConfig.model_validate(_dev()).stack_wide_args())
    assert keys <= set(hints)


def _dev():
    return stack_config("dev")


def _check(value, hint) -> None:
    hint = typing.get_args(hint)[0] if _is_not_required(hint) else hint
    if typing.is_typeddict(hint):
        hints = dict(hint.__annotations__)
        assert set(value) <= set(hints), (set(value), hint)
        for key, item in value.items():
            _check(item, hints[key])
    elif typing.get_origin(hint) in (Sequence, list):
        for item in value:
            _check(item, typing.get_args(hint)[0])


@given(
    mtu=st.integers(68, 9000) | st.none(),
    ike_id=st.sampled_from([None, "dc1.example.net"]),
    dh=st.sampled_from([None, "group20"]),
)
def test_what_the_models_hand_the_components_fits_the_args(mtu, ike_id, dh):
    values = _dev()
    site = values["sites"][0]
    if mtu is not None:
        site["mtu"] = mtu
    if ike_id:
        site["customerGateway"]["ikeId"] = ike_id
    if dh:
        site["ike"] = {"dhGroup": dh}
    cfg = config.validate_config(values)
    _check(cfg.sites[0].args(), SiteArgs)
