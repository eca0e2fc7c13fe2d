"""safeyaml's first gate: bytes to text, control characters refused with their position."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offline_engine import safeyaml

ALLOWED = {"\t", "\n", "\r"}
CONTROLS = [chr(i) for i in range(0x110000) if unicodedata.category(chr(i)) == "Cc"]


@pytest.mark.parametrize("char", [c for c in CONTROLS if c not in ALLOWED], ids=ascii)
def test_every_control_character_is_refused_with_its_position(char):
    data = f"a: 1\nb: x{char}y\n".encode()
    with pytest.raises(safeyaml.YamlError) as refused:
        safeyaml.decode(data)
    assert str(refused.value) == f"line 2 column 5: control character U+{ord(char):04X}"


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")) | st.sampled_from(sorted(ALLOWED))))
def test_text_without_control_characters_decodes_unchanged(text):
    assert safeyaml.decode(text.encode()) == text
    assert safeyaml.decode(b"\xef\xbb\xbf" + text.encode()) == text  # a BOM is allowed
