"""A payment's reference: "P", five characters, "-", five more, from the 32 that cannot be
misread aloud (no 0/O, no 1/I), each position drawn uniformly (50 random bits)."""

import re
import secrets
from collections import Counter

import pytest

from payments.services.submission import _REFERENCE_ALPHABET, new_reference


def test_a_reference_is_p_and_two_groups_of_five_from_the_alphabet():
    for _ in range(200):
        assert re.fullmatch(r"P[A-HJ-NP-Z2-9]{5}-[A-HJ-NP-Z2-9]{5}", new_reference())
    assert len(_REFERENCE_ALPHABET) == len(set(_REFERENCE_ALPHABET)) == 32


def test_every_position_takes_every_character_about_equally_often():
    refs = [new_reference().replace("-", "")[1:] for _ in range(6400)]
    assert len(set(refs)) == 6400
    for position in range(10):
        counts = Counter(ref[position] for ref in refs)
        assert set(counts) == set(_REFERENCE_ALPHABET)  # 200 expected each
        assert max(counts.values()) < 300 and min(counts.values()) > 110


@pytest.mark.parametrize(
    ("bits", "reference"),
    [
        (0, "PAAAAA-AAAAA"),
        (2**50 - 1, "P99999-99999"),
        (sum(i << (5 * i) for i in range(10)), "PABCDE-FGHJK"),  # 5 bits a character, lowest first
        (31 << 45, "PAAAAA-AAAA9"),
    ],
)
def test_the_reference_spells_its_50_bits_five_a_character(monkeypatch, bits, reference):
    asked = []
    monkeypatch.setattr(secrets, "randbits", lambda k: asked.append(k) or bits)
    assert new_reference() == reference
    assert asked == [50]
