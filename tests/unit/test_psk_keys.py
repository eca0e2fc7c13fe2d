"""A scope of generated PSKs changes only with a new generation: the check against the last
deployment's outputs (``pskInUse``)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitevpn.enums import PskScope
from sitevpn.psk_keys import OUTPUT, in_use, refusal

PAIR, CONNECTION = PskScope.PAIR, PskScope.CONNECTION
DEPLOYED = {"sites": [{"name": "dc1"}]}


@pytest.mark.parametrize(
    ("outputs", "generation", "scope", "refused"),
    [
        (None, 1, CONNECTION, False),  # never deployed
        ({}, 1, CONNECTION, False),
        (DEPLOYED, 1, PAIR, False),  # deployed before pskInUse existed: generation 1, pair
        (DEPLOYED, 1, CONNECTION, True),
        (DEPLOYED, 2, CONNECTION, False),  # a new generation may take any scope
        ({OUTPUT: in_use(2, PAIR)}, 2, CONNECTION, True),
        ({OUTPUT: in_use(2, PAIR)}, 3, CONNECTION, False),
        ({OUTPUT: in_use(3, CONNECTION)}, 3, CONNECTION, False),
        ({OUTPUT: in_use(3, CONNECTION)}, 3, PAIR, True),
        ({OUTPUT: {"generation": 3.0, "scope": "connection"}}, 3, PAIR, True),  # the wire's float
        ({OUTPUT: in_use(1, PAIR, configured=True)}, 1, CONNECTION, False),  # keys were given
    ],
)
def test_a_scope_changes_only_with_a_generation(outputs, generation, scope, refused):
    why = refusal("dev", outputs, generation, scope)
    assert (why is not None) == refused, why
    if refused:
        assert why.startswith(f"stack 'dev': site-vpn:pskScope = {scope}")
        assert f"pskRotation: {{generation: {generation}, prepare: true, scope: {scope}}}" in why
        assert f"pskRotation: {{generation: {generation + 1}}}" in why


@given(
    generation=st.integers(1, 10**6),
    last=st.sampled_from(list(PskScope)),
    wanted=st.sampled_from(list(PskScope)),
    step=st.integers(0, 3),
)
def test_only_the_generation_in_use_is_held_to_its_scope(generation, last, wanted, step):
    outputs = {OUTPUT: in_use(generation, last)}
    why = refusal("s", outputs, generation + step, wanted)
    assert (why is not None) == (step == 0 and last != wanted)
