"""The rules a sender name must pass before staff see it (R-SND-01, 02, 03, 06, 07).

Pure functions over a `WordLists` snapshot (the staff-editable `NameWord` rows), so they are
cheap to test. Look-alikes are caught by comparing *skeletons*: lower case, Cyrillic letters
folded to the Latin letters they look like (and, separately, transliterated), leet digits
folded to letters (0→o, 1→i, 3→e, 4→a, 5→s, 7→t, 8→b, @→a, $→s), easily confused letters merged
(l/y→i, w→v, c/q→k) and doubled letters collapsed. `K1EVSTAR`, `Кyivstar` and `kyivvstar` all
have the skeleton of `Kyivstar`.
"""
from django.utils.translation import gettext
import re
from dataclasses import dataclass, field

MAX_LENGTH = 11
VIBER_MAX_LENGTH = 20
_ALLOWED = re.compile(r"^[A-Za-z0-9 .&-]+$")
_VIBER_ALLOWED = re.compile(r"^[A-Za-z0-9\u0400-\u04FF]+$")
_SEPARATORS = re.compile(r"[\s.&\-_]+")

# Cyrillic letters drawn like Latin ones (a name typed to look like 'Kyivstar').
_HOMOGLYPHS = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "є": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g",
    "з": "3", "ч": "4", "б": "6", "г": "r", "п": "n", "и": "u", "й": "u", "л": "n", "ь": "b", "ъ": "b",
})
# Ukrainian/Russian transliteration (a name that spells 'Київстар' in Cyrillic).
_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ё": "e", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ь": "", "ъ": "", "ы": "y", "э": "e", "ю": "iu", "я": "ia", "'": "", "’": "",
}
_LEET = str.maketrans({"0": "o", "1": "i", "!": "i", "|": "i", "3": "e", "4": "a", "@": "a", "5": "s",
                       "$": "s", "7": "t", "8": "b", "l": "i", "y": "i", "w": "v", "c": "k", "q": "k"})
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_DOUBLES = re.compile(r"(.)\1+")


def _fold(text: str) -> str:
    text = text.translate(_LEET)
    text = re.sub(r"[^a-z0-9]", "", text)
    collapsed = _DOUBLES.sub(r"\1", text)
    # 'xxx' must not shrink to 'x' (a lone letter would then be an obscene word): collapse only
    # while at least three letters are left.
    return collapsed if len(collapsed) >= 3 else text


def skeletons(text: str) -> set[str]:
    """The look-alike forms of `text` (one for Latin text, two when it has Cyrillic letters)."""
    low = text.lower()
    out = {_fold(low.translate(_HOMOGLYPHS))}
    if _CYRILLIC.search(low):
        out.add(_fold("".join(_TRANSLIT.get(ch, ch) for ch in low)))
    out.discard("")
    return out


def _distance_at_most_one(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = j = edits = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            i += 1
            j += 1
            continue
        edits += 1
        if edits > 1:
            return False
        if len(a) == len(b):
            i += 1
        j += 1
    return edits + (len(b) - j) + (len(a) - i) <= 1


@dataclass(frozen=True)
class Word:
    word: str
    skeletons: frozenset
    anywhere: bool = False


@dataclass
class WordLists:
    """A snapshot of the `NameWord` table by kind (see `word_lists_load`)."""

    by_kind: dict = field(default_factory=dict)

    def add(self, kind: str, word: str, anywhere: bool = False) -> None:
        self.by_kind.setdefault(kind, []).append(Word(word, frozenset(skeletons(word)), anywhere))

    def get(self, kind: str) -> list[Word]:
        return self.by_kind.get(kind, [])


def word_lists_load() -> WordLists:
    from .models import NameWord  # noqa: PLC0415 (keeps this module importable without Django set up)

    lists = WordLists()
    for kind, word, anywhere in NameWord.objects.values_list("kind", "word", "match_anywhere"):
        lists.add(kind, word, anywhere)
    return lists


@dataclass(frozen=True)
class NameShape:
    whole: frozenset  # skeletons of the name without separators
    tokens: tuple  # per word of the name: its skeletons

    @classmethod
    def of(cls, name: str) -> "NameShape":
        parts = [p for p in _SEPARATORS.split(name) if p]
        return cls(frozenset(skeletons("".join(parts))), tuple(frozenset(skeletons(p)) for p in parts))


def _matches(word: Word, shape: NameShape, *, fuzzy: bool) -> bool:
    for ws in word.skeletons:
        if ws in shape.whole or any(ws in t for t in shape.tokens):
            return True
        if word.anywhere and len(ws) >= 3 and any(ws in s for s in shape.whole):
            return True
        if fuzzy and len(ws) >= 6:
            candidates = set(shape.whole).union(*shape.tokens) if shape.tokens else set(shape.whole)
            if any(len(c) >= 6 and _distance_at_most_one(ws, c) for c in candidates):
                return True
    return False


def find_word(name: str, words: list[Word], *, fuzzy: bool = False) -> str | None:
    shape = NameShape.of(name)
    for word in words:
        if _matches(word, shape, fuzzy=fuzzy):
            return word.word
    return None


def _every_token_in(name: str, words: list[Word]) -> str | None:
    """The matching word when the whole name, or each of its words, is one of `words`."""
    shape = NameShape.of(name)
    skels = {s for w in words for s in w.skeletons}
    if shape.whole & skels:
        return name
    if shape.tokens and all(t & skels for t in shape.tokens):
        return name
    return None


# ---- format (R-SND-01, R-SND-07) --------------------------------------------------------------

def sender_name_problem(name: str) -> str | None:
    """Why `name` cannot be an SMS sender name by its format, or None (R-SND-01)."""
    if not name or not name.strip():
        return gettext("Enter a sender name.")
    if name != name.strip():
        return gettext("A sender name cannot start or end with a space.")
    if len(name) > MAX_LENGTH:
        return gettext("A sender name has at most %(max_length)s characters (%(len)s given).") % {
            "max_length": MAX_LENGTH, "len": len(name)}
    if not _ALLOWED.match(name):
        bad = sorted({c for c in name if not re.match(r"[A-Za-z0-9 .&-]", c)})
        return gettext("Only Latin letters, digits, spaces and . & - are allowed; not: %(chars)s.") % {
            "chars": " ".join(repr(c) for c in bad)}
    if "  " in name:
        return gettext("A sender name cannot contain two spaces in a row.")
    return None


def viber_name_problem(name: str) -> str | None:
    """Why `name` cannot be a Viber sender name by its format, or None (R-SND-07)."""
    if not name or not name.strip():
        return gettext("Enter a sender name.")
    if len(name) > VIBER_MAX_LENGTH:
        return gettext("A Viber sender name has at most %(viber_max_length)s characters (%(len)s given).") % {
            "viber_max_length": VIBER_MAX_LENGTH, "len": len(name)}
    if not _VIBER_ALLOWED.match(name):
        return gettext("A Viber sender name has only Latin or Cyrillic letters and digits (no spaces or symbols).")
    if not re.search(r"[^\d]", name):
        return gettext("A Viber sender name needs at least one letter.")
    return None


# ---- content (R-SND-02) -------------------------------------------------------------------------

@dataclass(frozen=True)
class Refusal:
    reason: str  # a stable code: operator, obscene, phone_number, short_code, unintelligible, generic, first_name
    detail: str


_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "йцукенгшщзхї", "фівапролджє", "фывапролдж", "ячсмитьбю")
_KEYBOARD_OK = {"erty", "ytre", "rtyu", "uytr"}  # Liberty, property
_VOWELS = set("aeiouyаеєиіїоуюяэыё")


def _keyboard_run(word: str, size: int = 4) -> bool:
    for row in _KEYBOARD:
        for seq in (row, row[::-1]):
            for i in range(len(word) - size + 1):
                chunk = word[i:i + size]
                if chunk in seq and chunk not in _KEYBOARD_OK:
                    return True
    return False


def _unintelligible_token(token: str) -> bool:
    letters = "".join(c for c in token if c.isalpha())
    if not letters:
        return False
    if letters.isupper() and len(letters) <= 5:
        return False  # an abbreviation: BMW, KFC, PUMB
    low = token.lower()
    low_letters = letters.lower()
    if re.search(r"(.)\1\1", low):
        return True  # aaa, zzzz
    if _keyboard_run(low_letters):
        return True  # asdf, qwer, lkjh
    if len(low_letters) >= 3 and not set(low_letters) & _VOWELS:
        return True  # ght, xkcd
    if re.search(r"[^aeiouyаеєиіїоуюяэыё\d]{5,}", low_letters):
        return True  # five consonants in a row
    switches = sum(1 for a, b in zip(low, low[1:]) if a.isdigit() != b.isdigit())
    return switches >= 4  # a1b2c3


def unintelligible(name: str) -> bool:
    compact = re.sub(r"[\s.&\-]", "", name)
    if len(compact) < 2:
        return True
    tokens = [t for t in _SEPARATORS.split(name) if t]
    return any(_unintelligible_token(t) for t in tokens)


def phone_or_short_code(name: str) -> Refusal | None:
    compact = re.sub(r"[\s.&\-+()]", "", name)
    if re.search(r"\d{7,}", compact):
        return Refusal("phone_number", gettext("'%(name)s' looks like a phone number; a sender name must identify "
                                               "your company, not a number.") % {
            "name": name})
    if compact.isdigit():
        if 3 <= len(compact) <= 6:
            return Refusal("short_code", gettext("'%(name)s' looks like a short code; digit-only names are not "
                                                 "accepted.") % {
                "name": name})
        return Refusal("unintelligible", gettext("'%(name)s' has no letters and cannot identify a sender.") % {
            "name": name})
    return None


def content_refusal(name: str, *, lists: WordLists, channel: str = "sms", has_proof: bool = False,
                    allowed_first_names: frozenset = frozenset()) -> Refusal | None:
    """The first rule of R-SND-02 that `name` breaks, or None. `has_proof`: the client uploaded a
    document (a brand's letter or a trademark), which lets a generic word through to staff."""
    from .models import NameWord  # noqa: PLC0415

    K = NameWord.Kind
    if refusal := phone_or_short_code(name):
        return refusal
    if word := find_word(name, lists.get(K.OPERATOR), fuzzy=True):
        return Refusal("operator", gettext("'%(name)s' uses or imitates the name of a mobile operator (%(word)s); "
                                           "operators' names and their derivatives are not allowed.") % {
            "name": name, "word": word})
    if find_word(name, lists.get(K.OBSCENE)):
        return Refusal("obscene", gettext("'%(name)s' contains an obscene or offensive word.") % {"name": name})
    if not has_proof and _every_token_in(name, lists.get(K.GENERIC)):
        return Refusal("generic", gettext("'%(name)s' is a generic word (like SMS or Info) and cannot identify "
                                          "your company. If it is your registered brand, attach the trademark "
                                          "certificate.") % {"name": name})
    if _every_token_in(name, lists.get(K.FIRST_NAME)):
        if not (skeletons(name) & allowed_first_names):
            return Refusal("first_name", gettext("'%(name)s' is a personal first name. It is allowed only when it "
                                                 "is your company's name: contact support to have it allowed for "
                                                 "your company.") % {
                "name": name})
    if channel == "sms" and unintelligible(name):
        return Refusal("unintelligible", gettext("'%(name)s' looks like a meaningless string; a sender name must "
                                                 "be a readable name of your company or brand.") % {
            "name": name})
    return None


def brand_of(name: str, *, lists: WordLists) -> str | None:
    """The well-known brand `name` uses (R-SND-03: it needs a proof document), or None."""
    from .models import NameWord  # noqa: PLC0415

    return find_word(name, lists.get(NameWord.Kind.BRAND), fuzzy=True)


_FOREIGN_DOMAIN = re.compile(r"\.([a-z]{2,10})$", re.IGNORECASE)


def never_national_reasons(name: str, *, lists: WordLists) -> list[str]:
    """Why `name` can never be a national name (R-SND-06, section 8): empty when it may be."""
    from .models import NameWord  # noqa: PLC0415

    K = NameWord.Kind
    reasons = []
    if word := find_word(name, lists.get(K.NEVER_NATIONAL), fuzzy=True):
        reasons.append(gettext("'%(word)s' is on the never-national list (international payment systems, social "
                               "networks, OTT apps, foreign banks and airlines, SMS gateways, foreign operators, "
                               "generic terms)") % {"word": word})
    compact = re.sub(r"[\s.&\-]", "", name)
    if compact.isdigit():
        reasons.append(gettext("digits only"))
    if unintelligible(name):
        reasons.append(gettext("has no meaningful content"))
    m = _FOREIGN_DOMAIN.search(name)
    if m and m.group(1).lower() != "ua":
        reasons.append(gettext("a web resource in a foreign domain zone (.%(group)s)") % {
            "group": m.group(1).lower()})
    return reasons
