"""R-MSG-02: SMS encoding, unit counting, splitting into parts and SMPP payloads.

Pure Python: no Django, no database.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # no pytest config is required to import the module
    sys.path.insert(0, str(REPO))

from messaging import segments as sm  # noqa: E402
from messaging.segments import (  # noqa: E402
    DATA_CODING,
    GSM7,
    UCS2,
    PartPayload,
    decode,
    encode,
    parse_concat_udh,
    segment,
    submit_payloads,
    udh_concat,
)

JS_FILE = REPO / "messaging" / "static" / "messaging" / "segments.js"

# The provider's size table (the contract), n = 1..10
GSM7_TABLE = [160, 305, 457, 609, 761, 913, 1065, 1217, 1369, 1521]
UCS2_TABLE = [70, 133, 199, 265, 331, 397, 463, 529, 595, 661]

BASIC_CHARS = "".join(ch for ch in sm.GSM7_BASIC if ch != "\x1b")
EXT_CHARS = "\f^{}\\[~]|€"
EMOJI = "😀"  # U+1F600, outside the BMP: 2 UTF-16 units


def units_of(part: str, encoding: str) -> int:
    """Independent reference count."""
    if encoding == GSM7:
        return sum(2 if ch in EXT_CHARS else 1 for ch in part)
    return len(part.encode("utf-16-le", "surrogatepass")) // 2


def min_parts_brute(costs: list[int], single: int, nonlast: int, last: int) -> int:
    """Least n such that the text can be laid into n parts (DP over every cut)."""
    total = sum(costs)
    if total <= single:
        return 1
    n = len(costs)
    prefix = [0]
    for c in costs:
        prefix.append(prefix[-1] + c)
    inf = float("inf")
    # best[i] = least number of non-last parts carrying exactly costs[:i]
    best = [inf] * (n + 1)
    best[0] = 0
    for i in range(1, n + 1):
        for j in range(i - 1, -1, -1):
            if prefix[i] - prefix[j] > nonlast:
                break
            if best[j] + 1 < best[i]:
                best[i] = best[j] + 1
    answer = inf
    for j in range(1, n):  # a concatenated text has at least two parts
        if total - prefix[j] <= last and best[j] + 1 < answer:
            answer = best[j] + 1
    return answer


# --------------------------------------------------------------------- size table


@pytest.mark.parametrize("n,cap", list(enumerate(GSM7_TABLE, start=1)))
def test_r_msg_02_size_table_gsm7_both_directions(n, cap):
    at = segment("A" * cap)
    assert (at.encoding, at.units, at.count) == (GSM7, cap, n)
    over = segment("A" * (cap + 1))
    assert (over.units, over.count) == (cap + 1, n + 1)


@pytest.mark.parametrize("n,cap", list(enumerate(UCS2_TABLE, start=1)))
def test_r_msg_02_size_table_ucs2_both_directions(n, cap):
    at = segment("Я" * cap)
    assert (at.encoding, at.units, at.count) == (UCS2, cap, n)
    over = segment("Я" * (cap + 1))
    assert (over.units, over.count) == (cap + 1, n + 1)


@pytest.mark.parametrize("n", [11, 12, 50, 100, 200, 254, 255, 256])
def test_r_msg_02_size_table_formula_continues_past_ten(n):
    gsm_cap = 152 * (n - 1) + 153
    ucs_cap = 66 * (n - 1) + 67
    assert segment("a" * gsm_cap).count == n
    assert segment("a" * (gsm_cap + 1)).count == n + 1
    assert segment("ж" * ucs_cap).count == n
    assert segment("ж" * (ucs_cap + 1)).count == n + 1


def test_r_msg_02_size_table_matches_limits_constant():
    single, nonlast, last = sm.LIMITS[GSM7]
    assert [single] + [nonlast * (n - 1) + last for n in range(2, 11)] == GSM7_TABLE
    single, nonlast, last = sm.LIMITS[UCS2]
    assert [single] + [nonlast * (n - 1) + last for n in range(2, 11)] == UCS2_TABLE


def test_r_msg_02_306_chars_is_three_parts_not_two():
    # standard 153/153 would say 2; the contract says 3
    seg = segment("A" * 306)
    assert [len(p) for p in seg.parts] == [152, 152, 2]
    seg = segment("A" * 305)
    assert [len(p) for p in seg.parts] == [152, 153]


def test_r_msg_02_size_table_with_extension_chars_and_emoji():
    # 80 euro = 160 septets: one part; one more unit needs two
    assert segment("€" * 80).count == 1
    assert segment("€" * 80 + "A").count == 2
    # 35 emoji = 70 UTF-16 units: one part
    assert (segment(EMOJI * 35).units, segment(EMOJI * 35).count) == (70, 1)
    assert segment(EMOJI * 35 + "a").count == 2


# --------------------------------------------------------------------- encoding and units


def test_r_msg_02_every_basic_char_is_gsm7_one_unit():
    assert len(BASIC_CHARS) == 127
    seg = segment(BASIC_CHARS)
    assert (seg.encoding, seg.units) == (GSM7, 127)
    for ch in BASIC_CHARS:
        assert segment(ch).encoding == GSM7, repr(ch)
        assert segment(ch).units == 1, repr(ch)


@pytest.mark.parametrize("ch", list(EXT_CHARS))
def test_r_msg_02_extension_chars_count_two(ch):
    seg = segment(ch)
    assert (seg.encoding, seg.units) == (GSM7, 2)
    assert segment("abc" + ch * 3).units == 9


@pytest.mark.parametrize(
    "ch",
    [
        "`",  # backtick: not GSM
        "№",
        "–",  # en dash
        "—",
        "Я",
        "і",
        "ї",
        "ç",  # only capital Ç is in the table
        "\u2126",  # Ohm sign, not Greek capital omega
        "\t",
        "\x00",
        "\x1b",  # the escape slot is no character
        "“",
        "’",
        "…",
        "\u00a0",
        EMOJI,
    ],
)
def test_r_msg_02_non_gsm_char_makes_whole_text_ucs2(ch):
    seg = segment("Hello " + ch)
    assert seg.encoding == UCS2, repr(ch)
    assert seg.units == 6 + (2 if ch == EMOJI else 1)


def test_r_msg_02_backtick_is_ucs2():
    assert segment("select `x`").encoding == UCS2


def test_r_msg_02_numero_and_en_dash_are_ucs2():
    assert segment("Order №5").encoding == UCS2
    assert segment("10–12").encoding == UCS2


def test_r_msg_02_cyrillic_text():
    text = "Ваш код: 1234. Дякуємо!"
    seg = segment(text)
    assert (seg.encoding, seg.units, seg.count) == (UCS2, len(text), 1)
    long = "Привіт, світ! " * 10  # 140 units
    seg = segment(long)
    assert (seg.encoding, seg.units, seg.count) == (UCS2, 140, 3)
    assert [len(p) for p in seg.parts] == [66, 66, 8]


def test_r_msg_02_emoji_counts_two_utf16_units():
    seg = segment("Hi " + EMOJI)
    assert (seg.encoding, seg.units, seg.count) == (UCS2, 5, 1)
    # BMP symbols count one
    assert segment("Hi ☺").units == 4


def test_r_msg_02_empty_text_is_one_empty_part():
    seg = segment("")
    assert (seg.encoding, seg.units, seg.parts, seg.count) == (GSM7, 0, ("",), 1)


def test_r_msg_02_data_coding_values():
    assert DATA_CODING == {GSM7: 0x00, UCS2: 0x08}
    assert segment("a").data_coding == 0 and segment("я").data_coding == 8


# --------------------------------------------------------------------- pairs never cut


def test_r_msg_02_escape_pair_not_cut_between_parts():
    # 151 + 2 + 152 = 305 units would be 2 parts if the escape pair could be cut
    # (152 + 153); it cannot fit 152 at position 151, so it moves whole to part 2,
    # leaving 154 units for the last part: 3 parts.
    text = "A" * 151 + "€" + "B" * 152
    seg = segment(text)
    assert seg.units == 305
    assert seg.count == 3
    assert seg.parts[0] == "A" * 151
    assert seg.parts[1].startswith("€")
    assert "".join(seg.parts) == text
    # one character fewer fits two parts, the pair opening part 2
    seg = segment("A" * 151 + "€" + "B" * 151)
    assert seg.count == 2 and seg.parts == ("A" * 151, "€" + "B" * 151)
    # same pair one position earlier fits: no push
    seg = segment("A" * 150 + "€" + "B" * 153)
    assert seg.units == 305 and seg.count == 2


def test_r_msg_02_escape_pair_at_single_part_boundary():
    assert segment("A" * 158 + "€").count == 1  # 160
    seg = segment("A" * 159 + "€")  # 161
    assert seg.count == 2 and seg.parts == ("A" * 152, "A" * 7 + "€")
    # R-MSG-02 one part holds 160 septets: 152 'A' + '€' is 154 units, one SMS
    assert segment("A" * 152 + "€").count == 1


def test_r_msg_02_escape_pair_at_last_part_boundary():
    # the last part holds 153: a pair ending exactly there still fits
    seg = segment("A" * 152 + "B" * 151 + "€")
    assert seg.units == 305 and seg.count == 2
    seg = segment("A" * 152 + "B" * 152 + "€")
    assert seg.units == 306 and seg.count == 3


def test_r_msg_02_surrogate_pair_not_cut_between_parts():
    text = "Я" * 65 + EMOJI + "ж" * 66  # 65 + 2 + 66 = 133 units
    seg = segment(text)
    assert seg.units == 133
    assert seg.count == 3
    assert seg.parts[0] == "Я" * 65
    assert seg.parts[1].startswith(EMOJI)
    for part in seg.parts:  # each part is valid UTF-16 on its own
        part.encode("utf-16-be")
    seg = segment("Я" * 65 + EMOJI + "ж" * 65)
    assert seg.count == 2 and seg.parts == ("Я" * 65, EMOJI + "ж" * 65)


def test_r_msg_02_all_emoji_text_parts():
    seg = segment(EMOJI * 36)  # 72 units: 33 emoji (66) + 3 emoji
    assert seg.count == 2
    assert [len(p) for p in seg.parts] == [33, 3]
    seg = segment(EMOJI * 67)  # 134 units: 33 + 33 + 1 emoji
    assert seg.count == 3


# --------------------------------------------------------------------- per_part / remaining


def test_r_msg_02_per_part_and_remaining():
    seg = segment("A" * 10)
    assert (seg.per_part, seg.remaining) == (160, 150)
    seg = segment("A" * 161)
    assert (seg.count, seg.per_part, seg.remaining) == (2, 153, 305 - 161)
    seg = segment("A" * 151 + "€" + "B" * 151)  # last part holds 153 units
    assert (seg.count, seg.remaining) == (2, 0)
    assert segment("A" * 151 + "€" + "B" * 151 + "C").count == 3
    seg = segment("Я" * 70)
    assert (seg.per_part, seg.remaining) == (70, 0)
    seg = segment("Я" * 71)
    assert (seg.per_part, seg.remaining) == (67, 133 - 71)


@given(st.text(alphabet=st.sampled_from(["A", "€", "Я", EMOJI, " "]), max_size=400))
@settings(max_examples=150, deadline=None)
def test_r_msg_02_remaining_is_exact(text):
    seg = segment(text)
    assert segment(text + "x" * seg.remaining).count == seg.count
    assert segment(text + "x" * (seg.remaining + 1)).count == seg.count + 1


# --------------------------------------------------------------------- properties vs brute force


def _check_segmentation(text: str) -> None:
    seg = segment(text)
    assert "".join(seg.parts) == text
    assert seg.units == units_of(text, seg.encoding)
    expect_enc = GSM7 if all(ch in BASIC_CHARS or ch in EXT_CHARS for ch in text) else UCS2
    assert seg.encoding == expect_enc
    single, nonlast, last = (160, 152, 153) if seg.encoding == GSM7 else (70, 66, 67)
    if seg.count == 1:
        assert seg.units <= single
    else:
        assert seg.units > single
        assert all(p for p in seg.parts)
        for part in seg.parts[:-1]:
            assert units_of(part, seg.encoding) <= nonlast
        assert units_of(seg.parts[-1], seg.encoding) <= last
    costs = [units_of(ch, seg.encoding) for ch in text]
    assert seg.count == min_parts_brute(costs, single, nonlast, last)


@given(st.text(alphabet=st.sampled_from(["A", "€", "Я", EMOJI]), max_size=700))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_r_msg_02_property_mixed_alphabet_minimal_and_within_limits(text):
    _check_segmentation(text)


@given(st.text(alphabet=st.sampled_from(["A", "€", "{", " "]), min_size=140, max_size=700))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_r_msg_02_property_gsm7_minimal_and_within_limits(text):
    _check_segmentation(text)


@given(st.text(alphabet=st.sampled_from(["Я", EMOJI]), min_size=60, max_size=300))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_r_msg_02_property_ucs2_minimal_and_within_limits(text):
    _check_segmentation(text)


@given(st.text(max_size=400))
@settings(max_examples=200, deadline=None)
def test_r_msg_02_property_any_text_joins_and_agrees_with_payloads(text):
    seg = segment(text)
    assert "".join(seg.parts) == text
    payloads = submit_payloads(text, ref=7)
    assert len(payloads) == seg.count
    bodies = [p.short_message[6:] if seg.count > 1 else p.short_message for p in payloads]
    assert "".join(decode(b, DATA_CODING[seg.encoding]) for b in bodies) == text


def _all_cut_sets_min(costs, single, nonlast, last):
    """Exhaustive: try every set of cut positions."""
    if sum(costs) <= single:
        return 1
    n = len(costs)
    best = None
    for k in range(1, n):
        for cuts in itertools.combinations(range(1, n), k):
            bounds = (0,) + cuts + (n,)
            sizes = [sum(costs[a:b]) for a, b in zip(bounds, bounds[1:])]
            if all(s <= nonlast for s in sizes[:-1]) and sizes[-1] <= last:
                best = k + 1 if best is None else min(best, k + 1)
        if best is not None:
            return best
    raise AssertionError("no layout")


@pytest.mark.parametrize("limits", [(4, 2, 3), (5, 3, 4), (6, 4, 5), (7, 4, 4), (5, 2, 2)])
def test_r_msg_02_greedy_is_minimal_exhaustive_small_limits(limits):
    """The splitter core, with tiny limits, against every possible cut set."""
    single, nonlast, last = limits
    for length in range(0, 10):
        for costs in itertools.product((1, 2), repeat=length):
            costs = list(costs)
            doubles = [i for i, c in enumerate(costs) if c == 2]
            ends = sm._part_ends(length, doubles, single, nonlast, last)
            assert len(ends) + 1 == _all_cut_sets_min(costs, single, nonlast, last), costs
            assert len(ends) + 1 == min_parts_brute(costs, single, nonlast, last), costs
            bounds = [0] + ends + [length]
            sizes = [sum(costs[a:b]) for a, b in zip(bounds, bounds[1:])]
            if ends:
                assert all(s <= nonlast for s in sizes[:-1]) and sizes[-1] <= last


# --------------------------------------------------------------------- encode / decode


def test_r_msg_02_encode_gsm7_unpacked_bytes():
    assert encode("@£$¥", GSM7) == b"\x00\x01\x02\x03"
    assert encode("A€", GSM7) == b"\x41\x1b\x65"
    assert encode("\f^{}\\[~]|", GSM7) == bytes.fromhex("1b0a1b141b281b291b2f1b3c1b3d1b3e1b40")
    assert encode("§¿àÄ_Ω", GSM7) == bytes([0x5F, 0x60, 0x7F, 0x5B, 0x11, 0x15])
    assert encode(BASIC_CHARS, GSM7) == bytes(b for b in range(128) if b != 0x1B)


def test_r_msg_02_encode_ucs2_utf16be_with_surrogates():
    assert encode("Я" + EMOJI, UCS2) == bytes.fromhex("042fd83dde00")
    assert encode("A", UCS2) == b"\x00A"


def test_r_msg_02_encode_gsm7_rejects_non_gsm():
    with pytest.raises(ValueError):
        encode("`", GSM7)
    with pytest.raises(ValueError):
        encode("Я", GSM7)
    with pytest.raises(ValueError):
        encode("a", "latin1")


@pytest.mark.parametrize(
    "text",
    ["", "Hello, world!", BASIC_CHARS, EXT_CHARS, "Ціна 10€ [акція] " + EMOJI, "№ – `", EMOJI * 3],
)
def test_r_msg_02_encode_decode_round_trip(text):
    enc = segment(text).encoding
    data = encode(text, enc)
    assert decode(data, DATA_CODING[enc]) == text
    assert len(data) == (segment(text).units * (1 if enc == GSM7 else 2))


def test_r_msg_02_decode_latin1_and_unknown():
    assert decode("café".encode("latin-1"), 3) == "café"
    assert decode(b"abc\xff", 4) == "abc\xff"


def test_r_msg_02_decode_gsm7_malformed_escapes():
    assert decode(b"A\x1b", 0) == "A "  # dangling escape
    assert decode(b"\x1b\x1bA", 0) == " A"  # reserved double escape
    assert decode(b"\x1b\x41", 0) == "A"  # unknown extension code: basic char
    assert decode(b"A\x80B", 0) == "A\ufffdB"
    assert decode(b"\x1b\xff", 0) == "\ufffd"


def test_r_msg_02_decode_ucs2_malformed():
    assert decode(b"\x00A\x00", 8) == "A\ufffd"  # odd length
    assert decode(b"\xd8\x3d\x00A", 8).endswith("A")  # lone surrogate


@given(st.binary(max_size=300), st.sampled_from([0, 3, 8, 1, 2, 4, 0x18, 0xF0, 255]))
@settings(max_examples=300, deadline=None)
def test_r_msg_02_decode_never_raises(data, dc):
    assert isinstance(decode(data, dc), str)


# --------------------------------------------------------------------- SMPP payloads


def test_r_msg_02_udh_concat_bytes():
    assert udh_concat(0x2A, 2, 1) == bytes.fromhex("0500032a0201")
    assert udh_concat(300, 3, 3) == bytes([5, 0, 3, 300 & 0xFF, 3, 3])


def test_r_msg_02_submit_payloads_single_part():
    (p,) = submit_payloads("Hello", ref=1)
    assert p == PartPayload(esm_class=0x00, data_coding=0x00, short_message=b"Hello")
    (p,) = submit_payloads("Привіт", ref=1)
    assert (p.esm_class, p.data_coding) == (0x00, 0x08)
    assert p.short_message == "Привіт".encode("utf-16-be")
    (p,) = submit_payloads("A" * 160, ref=1)
    assert len(p.short_message) == 160
    (p,) = submit_payloads("Я" * 70, ref=1)
    assert len(p.short_message) == 140


def test_r_msg_02_submit_payloads_two_part_gsm7_bytes():
    text = "A" * 152 + "B" * 150 + "€"  # 304 units: 152 + 152
    p1, p2 = submit_payloads(text, ref=0x2A)
    assert p1.esm_class == p2.esm_class == 0x40
    assert p1.data_coding == p2.data_coding == 0x00
    assert p1.short_message == b"\x05\x00\x03\x2a\x02\x01" + b"A" * 152
    assert p2.short_message == b"\x05\x00\x03\x2a\x02\x02" + b"B" * 150 + b"\x1b\x65"
    assert len(p1.short_message) == 6 + 152
    assert len(p2.short_message) == 6 + 152


def test_r_msg_02_submit_payloads_two_part_ucs2_bytes():
    text = "Я" * 65 + EMOJI + "ж" * 65
    p1, p2 = submit_payloads(text, ref=513)
    assert p1.short_message == bytes([5, 0, 3, 513 & 0xFF, 2, 1]) + ("Я" * 65).encode("utf-16-be")
    assert p2.short_message[:6] == bytes([5, 0, 3, 1, 2, 2])
    assert p2.short_message[6:10] == bytes.fromhex("d83dde00")
    assert p1.data_coding == p2.data_coding == 0x08
    assert all(len(p.short_message) <= 140 for p in (p1, p2))


@given(st.text(alphabet=st.sampled_from(["A", "€", "Я", EMOJI, "{", " "]), max_size=900))
@settings(max_examples=150, deadline=None)
def test_r_msg_02_payload_sizes_and_count_agree(text):
    seg = segment(text)
    payloads = submit_payloads(text, ref=99)
    assert len(payloads) == seg.count  # shown == charged == sent
    for i, p in enumerate(payloads, start=1):
        if seg.count == 1:
            assert p.esm_class == 0
            limit = 160 if seg.encoding == GSM7 else 140
        else:
            assert p.esm_class == 0x40
            assert parse_concat_udh(p.short_message)[:3] == (99, seg.count, i)
            limit = 6 + 153 if seg.encoding == GSM7 else 140
        assert len(p.short_message) <= limit


def test_r_msg_02_submit_payloads_deterministic():
    text = "Знижка 20% на все! " * 12 + EMOJI
    assert submit_payloads(text, ref=17) == submit_payloads(text, ref=17)
    assert [p.short_message for p in submit_payloads(text, 17)] == [
        p.short_message for p in submit_payloads(text, 17)
    ]
    assert submit_payloads(text, 17) != submit_payloads(text, 18)


def test_r_msg_02_submit_payloads_refuses_more_than_255_parts():
    assert len(submit_payloads("a" * (152 * 254 + 153), ref=1)) == 255
    with pytest.raises(ValueError):
        submit_payloads("a" * (152 * 254 + 154), ref=1)


def test_r_msg_02_parse_concat_udh():
    assert parse_concat_udh(udh_concat(42, 3, 2) + b"body") == (42, 3, 2, b"body")
    # 16-bit reference, IEI 0x08
    assert parse_concat_udh(bytes([6, 8, 4, 0x12, 0x34, 2, 1]) + b"x") == (0x1234, 2, 1, b"x")
    # another element before the concat one (port addressing 0x05)
    udh = bytes([11, 0x05, 4, 0x0B, 0x84, 0x23, 0xF0, 0x00, 3, 7, 2, 2])
    assert parse_concat_udh(udh + b"yz") == (7, 2, 2, b"yz")
    assert parse_concat_udh(b"") is None
    assert parse_concat_udh(b"\x00abc") is None  # empty header
    assert parse_concat_udh(bytes([5, 0x05, 3, 1, 2, 3])) is None  # no concat element
    assert parse_concat_udh(bytes([5, 0, 3, 1, 2])) is None  # truncated
    assert parse_concat_udh(bytes([5, 0, 4, 1, 2, 1])) is None  # element past header
    assert parse_concat_udh(udh_concat(1, 2, 0)) is None  # seq 0
    assert parse_concat_udh(udh_concat(1, 2, 3)) is None  # seq > total
    assert parse_concat_udh(udh_concat(1, 0, 0)) is None  # total 0


@given(st.binary(max_size=50))
@settings(max_examples=300, deadline=None)
def test_r_msg_02_parse_concat_udh_never_raises(data):
    result = parse_concat_udh(data)
    assert result is None or (len(result) == 4 and 1 <= result[2] <= result[1])


def test_r_msg_02_payloads_reassemble_via_parse():
    text = "Hello {name}, your code is [1234] ~ " * 15
    payloads = submit_payloads(text, ref=200)
    parsed = [parse_concat_udh(p.short_message) for p in payloads]
    assert {r[0] for r in parsed} == {200}
    assert [r[2] for r in parsed] == list(range(1, len(payloads) + 1))
    assert "".join(decode(r[3], 0) for r in parsed) == text


# --------------------------------------------------------------------- JS twin

TRICKY_TEXTS = [
    "",
    "A",
    "A" * 160,
    "A" * 161,
    "A" * 305,
    "A" * 306,
    "A" * 457,
    "A" * 458,
    "A" * 1521,
    "A" * 1522,
    "Я" * 70,
    "Я" * 71,
    "Я" * 133,
    "Я" * 134,
    "Я" * 661,
    "Я" * 662,
    "A" * 158 + "€",
    "A" * 159 + "€",
    "A" * 152 + "€",
    "A" * 151 + "€" + "B" * 152,
    "A" * 151 + "€" + "B" * 151,
    "A" * 150 + "€" + "B" * 153,
    "A" * 152 + "B" * 151 + "€",
    "A" * 152 + "B" * 152 + "€",
    "€" * 80,
    "€" * 81,
    "{}" * 77,
    "\f" * 3 + "x",
    "A" * 159 + "\f",
    "Я" * 69 + EMOJI,
    "Я" * 68 + EMOJI,
    "Я" * 65 + EMOJI + "ж" * 66,
    "Я" * 65 + EMOJI + "ж" * 65,
    EMOJI * 35,
    EMOJI * 36,
    EMOJI * 67,
    "select `x` from t",
    "Order №5, 10–12",
    "Привіт, світ! " * 10,
    "Ціна 10€ [акція] " * 9 + EMOJI,
    BASIC_CHARS + EXT_CHARS,
    "line1\r\nline2\n",
    "👍🏽 family 👨‍👩‍👧",
    "A" * 200 + "`",
]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_r_msg_02_js_twin_matches_python(tmp_path):
    script = tmp_path / "run.js"
    script.write_text(
        "const s = require(%s);\n"
        "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        "process.stdout.write(JSON.stringify(texts.map(t => [s.count(t), s.split(t)])));\n"
        % json.dumps(str(JS_FILE))
    )
    out = subprocess.run(
        [shutil.which("node"), str(script)],
        input=json.dumps(TRICKY_TEXTS),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    results = json.loads(out.stdout)
    assert len(results) == len(TRICKY_TEXTS)
    for text, (js, js_parts) in zip(TRICKY_TEXTS, results):
        seg = segment(text)
        py = {
            "encoding": seg.encoding,
            "units": seg.units,
            "segments": seg.count,
            "perPart": seg.per_part,
            "remaining": seg.remaining,
        }
        assert js == py, text[:40]
        assert js_parts == list(seg.parts), text[:40]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_r_msg_02_js_twin_random_texts(tmp_path):
    import random

    rnd = random.Random(20260502)
    alphabet = ["A", "€", "{", " ", "Я", EMOJI, "`", "\n"]
    texts = []
    for _ in range(300):
        pool = rnd.sample(alphabet, rnd.randint(1, 4))
        texts.append("".join(rnd.choice(pool) for _ in range(rnd.randint(0, 800))))
    script = tmp_path / "run.js"
    script.write_text(
        "const s = require(%s);\n"
        "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        "process.stdout.write(JSON.stringify(texts.map(t => s.count(t))));\n" % json.dumps(str(JS_FILE))
    )
    out = subprocess.run(
        [shutil.which("node"), str(script)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    for text, js in zip(texts, json.loads(out.stdout)):
        seg = segment(text)
        assert (js["encoding"], js["units"], js["segments"], js["remaining"]) == (
            seg.encoding,
            seg.units,
            seg.count,
            seg.remaining,
        )
