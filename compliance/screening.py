"""The content-screening engine (R-CMP-01, 02, 04, 10, 11): one text in, one verdict out.

How a text is read (the same steps turn every rule pattern into its keys, so a pattern and a text
that spell the same word the same way always meet):
1. NFKC and casefold (fullwidth ｃａｓｉｎｏ, math letters, ligatures, capitals).
2. cp1251 bytes (every Latin, Ukrainian and Russian letter is one byte); a text that does not
   fit loses its zero-width characters and stress marks, Greek look-alikes become Latin and the
   rest falls back to `anyascii`. From here on only `bytes.translate` and byte regexes run.
3. Apostrophes and soft hyphens are dropped; runs of three or more single letters split by
   spaces or . - _ * / are joined (c.a.s.i.n.o, к а з и н о).
4. Leetspeak only where a digit, `!` or `|` touches a letter (k4zin0, 1xbet; 100 грн stays);
   repeated letters collapse (казииино).
5. Two views of the result: a visual skeleton (Latin and Cyrillic look-alikes share one letter:
   Kyivstаr with a Cyrillic а, kaзино) and a phonetic key (uk/ru folded, Latin digraphs: kazino,
   Київстар = kyivstar).
6. One Aho–Corasick automaton (pyahocorasick) holds the keys of every active rule and brand in
   both views and runs once over both views of the text; each key carries its match mode (word
   start, whole word, anywhere), checked on the letters around the hit.

The automaton is built once per process from the database and rebuilt when rules change: every
change of the rule, brand, link-domain and allow-list tables bumps the "content" counter of
smsportal_cache_version in the same transaction (triggers, migration 0002_content_rules), so the
first screening that can see a change also sees a counter no engine was built under (see
smsportal.cache). Checking costs one query (`Versions`), shared with the other cached reads of a
send when the caller passes its own `Versions`.
"""
from __future__ import annotations

import ipaddress
import re
import threading
import unicodedata
from dataclasses import dataclass, field

import ahocorasick
from anyascii import anyascii
from django.utils.translation import gettext_lazy as _

# ---------------------------------------------------------------------------------------------
# Normalization

_LETTERS = bytes(range(0x61, 0x7B)) + bytes(range(0xE0, 0x100)) + bytes([0xB8, 0xBA, 0xB3, 0xBF, 0xB4, 0xA2, 0xBC, 0xBE])
_IS_LETTER = [False] * 256
for _b in _LETTERS:
    _IS_LETTER[_b] = True
_L = b"a-z\xe0-\xff\xb8\xba\xb3\xbf\xb4\xa2\xbc\xbe"  # letter class for byte regexes
_SEPS = b" ._*/-"
_LEET_CHARS = b"0134578 9!|".replace(b" ", b"")

# Step 2 fallback (text that cp1251 cannot hold): zero-width characters and stress marks go,
# Greek look-alikes become Latin, the modifier apostrophe becomes an apostrophe.
_FALLBACK = {cp: None for cp in (0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, 0x034F, 0x180E, 0x2061, 0x2062, 0x2063)}
_FALLBACK.update({cp: None for cp in range(0x0300, 0x0370)})
_FALLBACK.update(str.maketrans("αβγδεζηικμνοπρστυφχωϲ", "abgdeznikmvoprstufxwc"))
_FALLBACK.update({0x02BC: "'", 0x2019: "'", 0x2018: "'"})

# Step 3: what stays (letters, digits, leet signs, word separators); the rest is a space.
_KEEP = set(_LETTERS) | set(b"0123456789!|") | set(_SEPS)
_T1 = bytes(b if b in _KEEP else 0x20 for b in range(256))
_T1_DELETE = b"'`\x91\x92\xad"  # apostrophes, soft hyphen
# three or more single characters split by one and the same separator (c.a.s.i.n.o, к а з и н о; not
# the words у and і around c.a.s.i.n.o)
_U = rb"[" + _L + rb"0-9!|]"
_JOIN = re.compile(rb"(?<![" + _L + rb"0-9])" + _U + rb"([ ._*/\-]+)" + _U + rb"(?:\1" + _U + rb"(?![" + _L + rb"0-9]))+")
_T2 = bytes(0x20 if b in set(_SEPS) else b for b in range(256))
# digits next to a letter on either side (k4zin0, 1xbet); ! and | only between two letters (cas!no)
_LEET_RUN = re.compile(rb"(?<=[" + _L + rb"])[01345789]+|[01345789]+(?=[" + _L + rb"])|(?<=[" + _L + rb"])[!|]+(?=[" + _L + rb"])")
_LEET = bytes.maketrans(b"0134578 9!|".replace(b" ", b""), b"oieastbgii")
_REPEAT = re.compile(rb"([" + _L + rb"])\1+")
_T3 = bytes(0x20 if b in b"!|" else b for b in range(256))  # ! and | left over after leet: spaces


def _cp(s: str) -> bytes:
    return s.encode("cp1251")


def _table(pairs: dict[str, str]) -> bytes:
    t = bytearray(range(256))
    for src, dst in pairs.items():
        for ch in src:
            t[_cp(ch)[0]] = _cp(dst)[0]
    return bytes(t)


# Visual skeleton: a Cyrillic letter that looks like a Latin one becomes it.
_VISUAL = _table({"а": "a", "в": "b", "е": "e", "ё": "e", "є": "e", "і": "i", "ї": "i", "ј": "j", "к": "k",
                  "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s",
                  "ў": "y"})
# Phonetic key: uk/ru folded onto Latin sounds; ж ш ч ц я ю keep one byte of their own, and the
# Latin digraphs that spell them become that byte first.
_DIGRAPHS = [(b"shch", _cp("ш")), (b"zh", _cp("ж")), (b"sh", _cp("ш")), (b"ch", _cp("ч")), (b"kh", b"h"),
             (b"ts", _cp("ц")), (b"ya", _cp("я")), (b"yu", _cp("ю")), (b"ia", _cp("я")), (b"iu", _cp("ю"))]
_PHONETIC = _table({"аa": "a", "бb": "b", "вwv": "v", "гґg": "g", "дd": "d", "еёєэe": "e", "зz": "z",
                    "иіїйыyjiў": "i", "кcqk": "k", "лl": "l", "мm": "m", "нn": "n", "оo": "o", "пp": "p",
                    "рr": "r", "сs": "s", "тt": "t", "уu": "u", "фf": "f", "хh": "h", "щ": "ш", "x": "x"})
_PHONETIC_DELETE = _cp("ьъ")


def _fold(text: str) -> bytes:
    """Steps 1–2: the text as lowercase cp1251 bytes."""
    s = unicodedata.normalize("NFKC", text).casefold()
    try:
        return s.encode("cp1251")
    except UnicodeEncodeError:
        pass
    s = s.translate(_FALLBACK)
    try:
        return s.encode("cp1251")
    except UnicodeEncodeError:
        out = []
        for ch in s:
            try:
                out.append(ch.encode("cp1251"))
            except UnicodeEncodeError:
                out.append(anyascii(ch).lower().encode("cp1251", "ignore"))
        return b"".join(out)


def _join(m: re.Match) -> bytes:
    return m.group().translate(None, _SEPS)


def _leet(m: re.Match) -> bytes:
    return m.group().translate(_LEET)


def normalize_base(text: str) -> bytes:
    """Steps 1–4: letters and digits separated by single spaces, padded with a space each side."""
    b = _fold(text).translate(_T1, _T1_DELETE)
    b = _JOIN.sub(_join, b)
    b = b.translate(_T2)
    b = _LEET_RUN.sub(_leet, b)
    b = _REPEAT.sub(rb"\1", b.translate(_T3))
    return b" " + b" ".join(b.split()) + b" "


def views(base: bytes) -> tuple[bytes, bytes]:
    """Step 5: (visual skeleton, phonetic key) of a normalized text."""
    visual = base.translate(_VISUAL)  # repeats were collapsed in base; a new one needs mixed scripts side by side
    p = base
    for src, dst in _DIGRAPHS:
        if src in p:
            p = p.replace(src, dst)
    phonetic = _REPEAT.sub(rb"\1", p.translate(_PHONETIC, _PHONETIC_DELETE))
    return visual, phonetic


def keys_of(pattern: str) -> set[str]:
    """The automaton keys of one pattern: its two views, without the padding spaces."""
    return {v.strip().decode("latin-1") for v in views(normalize_base(pattern)) if v.strip()}


def haystack(text: str) -> str:
    visual, phonetic = views(normalize_base(text))
    return (visual + b"\n" + phonetic).decode("latin-1")


def _is_letter(ch: str) -> bool:
    o = ord(ch)
    return o < 256 and _IS_LETTER[o]


# ---------------------------------------------------------------------------------------------
# Verdicts

PASS, REFUSE, REVIEW = "pass", "refuse", "review"

# R-VIB-10: rule categories that apply to Viber texts only (gatherings, fascism or war propaganda,
# Viber named as sponsor or initiator); an SMS text is not screened by them.
VIBER_ONLY_CATEGORIES = frozenset({"viber_gatherings", "viber_war_propaganda", "viber_sponsorship"})

# What the client is told (never a rule id): reason code → detail.
REASON_DETAILS = {
    "content_prohibited": _("The text contains content that may not be sent ({category})."),
    "content_review": _("The text needs staff approval before it is sent ({category})."),
    "phishing_link": _("The text links to a site that imitates a bank, operator or state service, "
                       "or to a suspicious address."),
    "brand_link_review": _("The text names a bank or state service and links to another site; staff "
                           "check it before it is sent."),
    "url_shortener": _("Links through URL shorteners are not allowed: give the full address."),
    "operator_mention": _("Texts may not mention a mobile operator or look as if sent by one."),
    "messenger_mention": _("Viber texts may not name or link to other messengers."),
    "viber_prohibited": _("Viber texts may not contain this content ({category})."),
    "ad_missing_company": _("Advertising texts must name the company that sends them."),
    "ad_missing_phone": _("Advertising texts must carry a contact phone number, so the recipient can opt out."),
}


@dataclass(frozen=True)
class Finding:
    """One thing screening found: why, what category, refuse or review, the pattern that
    matched (for staff) and where it is in the original text ((start, end) character spans)."""

    reason: str
    action: str
    category: str = ""
    term: str = ""
    rule_id: int | None = None
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The verdict on one text: `outcome` pass / refuse / review; for refuse and review the
    deciding `reason` code, its `category` and a client-facing `detail`; every finding (with the
    matched spans for highlighting in the review queue)."""

    outcome: str
    reason: str = ""
    category: str = ""
    detail: str = ""
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return self.outcome == PASS

    @property
    def refused(self) -> bool:
        return self.outcome == REFUSE

    @property
    def needs_review(self) -> bool:
        return self.outcome == REVIEW


def verdict_from(findings: list[Finding], category_labels: dict[str, str] | None = None) -> Verdict:
    if not findings:
        return Verdict(PASS)
    refuse = [f for f in findings if f.action == REFUSE]
    decisive = (refuse or findings)[0]
    outcome = REFUSE if refuse else REVIEW
    label = (category_labels or {}).get(decisive.category, decisive.category.replace("_", " "))
    detail = str(REASON_DETAILS.get(decisive.reason, "")).format(category=label.lower())
    return Verdict(outcome, decisive.reason, decisive.category, detail, tuple(findings))


# ---------------------------------------------------------------------------------------------
# Links

_URL = re.compile(r"(?:(https?)://)?((?:[\w-]+\.)+[\w-]{2,})(?::\d+)?(?:/\S*)?", re.IGNORECASE)
_MAYBE_LINK = re.compile(r"\w\.[^\W\d_]|://")  # a dot between a letter or digit and a letter: maybe a host
_TLD = None
_TLD_LOCK = threading.Lock()


def _tld():
    global _TLD
    if _TLD is None:
        with _TLD_LOCK:
            if _TLD is None:
                import tldextract
                _TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # offline, bundled list
    return _TLD


@dataclass(frozen=True)
class Link:
    host: str
    registered: str
    suffix: str
    start: int
    end: int
    ip: bool = False


def links_in(text: str) -> list[Link]:
    """Hosts of the links and bare domains in a text (tldextract's bundled public-suffix list);
    words joined by a dot without a known suffix (т.д., 12.50) are no link."""
    if "." not in text or not _MAYBE_LINK.search(text):
        return []
    s = unicodedata.normalize("NFKC", text).lower()
    found = []
    for m in _URL.finditer(s):
        host = m.group(2).strip(".-").removeprefix("www.")
        scheme = m.group(1)
        try:
            ipaddress.ip_address(host)
            if scheme:
                found.append(Link(host, host, "", m.start(), m.end(), ip=True))
            continue
        except ValueError:
            pass
        r = _tld()(host)
        if not r.suffix or not r.domain:
            continue
        found.append(Link(host, f"{r.domain}.{r.suffix}", r.suffix, m.start(), m.end()))
    return found


def _unpuny(host: str) -> str:
    """A punycode host (xn--…) in its own letters, so that приватбанк spelled as xn--… is seen."""
    if "xn--" not in host:
        return host
    try:
        return ".".join(label.encode("ascii").decode("idna") if label.startswith("xn--") else label
                        for label in host.split("."))
    except (UnicodeError, ValueError):
        return host


def host_matches(host: str, domains) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


# ---------------------------------------------------------------------------------------------
# Phones and company names (R-CMP-04)

_PHONE = re.compile(r"(?<!\d)(?:\+?\s*3\s*8[\s\-()]*)?\(?0\)?(?:[\s\-()]*\d){9}(?!\d)|(?<!\d)0[\s\-]*800(?:[\s\-]*\d){6}(?!\d)")
_LEGAL_FORMS = re.compile(r"\b(тов|фоп|пп|пат|прат|ат|ооо|зао|оао|ип|llc|ltd|inc|gmbh|fop|tov)\b\.?", re.IGNORECASE)


def has_contact_phone(text: str) -> bool:
    return bool(_PHONE.search(unicodedata.normalize("NFKC", text)))


def company_keys(name: str) -> set[str]:
    """The phonetic and visual keys of a company or sender name without its legal form and quotes."""
    name = _LEGAL_FORMS.sub(" ", name or "")
    name = re.sub(r"[\"'«»“”„]", " ", name).strip()
    if len(name) < 2:
        return set()
    return keys_of(name)


# ---------------------------------------------------------------------------------------------
# The engine: everything compiled from the active rules, brands, link domains and allow-list

BRAND = "brand"


@dataclass(frozen=True)
class _Key:
    kind: str            # "rule" or BRAND
    ref: int             # rule or brand id
    mode: str            # word_start / whole_word / anywhere
    action: str
    category: str        # rule category, or the brand's kind
    term: str            # the pattern as staff wrote it


class Engine:
    """The compiled screening data of one version of the rules. Immutable once built; shared by
    the threads of a process."""

    def __init__(self, *, rules=(), brands=(), link_domains=(), allow=(), category_labels=None, shorteners=()):
        self.category_labels = dict(category_labels or {})
        self.automaton = ahocorasick.Automaton()
        entries: dict[str, list[_Key]] = {}
        self.regexes = []
        self._regex_terms = set()
        for r in rules:
            if r.match_mode == "regex":
                for p in r.pattern_list():
                    self.regexes.append((re.compile(p, re.IGNORECASE), _Key("rule", r.pk, "regex", r.action, r.category, p)))
                    self._regex_terms.add(p)
                continue
            for p in r.pattern_list():
                for k in keys_of(p):
                    entries.setdefault(k, []).append(_Key("rule", r.pk, r.match_mode, r.action, r.category, p))
        self.brands = {}
        self.link_tokens = []  # (token, brand)
        for b in brands:
            self.brands[b.pk] = b
            for alias in b.alias_list():
                keys = keys_of(alias)
                mode = "whole_word" if min((len(k) for k in keys), default=0) <= 3 else "word_start"
                for k in keys:
                    entries.setdefault(k, []).append(_Key(BRAND, b.pk, mode, "", b.kind, alias))
            for token in b.link_token_list():
                self.link_tokens.append((token, b))
        for k, v in entries.items():
            self.automaton.add_word(k, (len(k), tuple(v)))
        if entries:
            self.automaton.make_automaton()
        self.has_keys = bool(entries)
        self.shorteners = set(shorteners)
        self.suspicious_suffixes = set()
        for d in link_domains:
            (self.shorteners if d.kind == "shortener" else self.suspicious_suffixes).add(d.domain.lower().strip("."))
        self.allow_words: dict[int, set[str]] = {}
        self.allow_domains: dict[int, set[str]] = {}
        for a in allow:
            target = self.allow_words if a.kind == "word" else self.allow_domains
            values = keys_of(a.value) if a.kind == "word" else {a.value.lower().strip().removeprefix("www.")}
            target.setdefault(a.client_id or 0, set()).update(values)

    # -- matching --------------------------------------------------------------------------------

    def _token_at(self, hay: str, start: int, end: int) -> str:
        i, j = start, end
        while i > 0 and _is_letter(hay[i - 1]):
            i -= 1
        while j < len(hay) and _is_letter(hay[j]):
            j += 1
        return hay[i:j]

    def matches(self, text: str, *, client_id: int = 0, hay: str | None = None) -> list[tuple[_Key, str]]:
        """(key, matched key text) for every rule and brand hit in the text, after word-boundary
        checks and the allow-list."""
        out = []
        if self.has_keys:
            hay = hay if hay is not None else haystack(text)
            allow = self._allow_words_for(client_id)
            seen = set()
            for end, (length, keys) in self.automaton.iter(hay):
                start = end - length + 1
                for key in keys:
                    if key in seen:
                        continue
                    out_key = hay[start:end + 1]
                    before = hay[start - 1] if start > 0 else " "
                    after = hay[end + 1] if end + 1 < len(hay) else " "
                    if key.mode != "anywhere" and _is_letter(before):
                        continue
                    if key.mode == "whole_word" and _is_letter(after):
                        continue
                    if allow and self._token_at(hay, start, end + 1) in allow:
                        continue
                    seen.add(key)
                    out.append((key, out_key))
        if self.regexes:
            low = unicodedata.normalize("NFKC", text).casefold()
            for rx, key in self.regexes:
                if rx.search(low):
                    out.append((key, key.term))
        return out

    def _allow_words_for(self, client_id: int):
        if not self.allow_words:
            return ()
        if client_id not in self.allow_words:
            return self.allow_words.get(0, ())
        return self.allow_words.get(0, set()) | self.allow_words[client_id]

    # -- the verdict -----------------------------------------------------------------------------

    def screen(self, text: str, *, client_id: int = 0, message_type: str = "service", company_names=(),
               channel: str = "sms", with_spans: bool = True) -> Verdict:
        findings: list[Finding] = []
        mentioned_brands = []
        seen = set()
        hay = haystack(text)
        for key, matched in self.matches(text, client_id=client_id, hay=hay):
            if (key.kind, key.ref) in seen:  # one finding per rule or brand
                continue
            seen.add((key.kind, key.ref))
            if key.kind == BRAND:
                brand = self.brands[key.ref]
                if key.category == "operator":
                    findings.append(Finding("operator_mention", REFUSE, "operator", key.term, None))
                elif key.category == "messenger":
                    if channel == "viber":
                        findings.append(Finding("messenger_mention", REFUSE, "messengers", key.term, None))
                else:
                    mentioned_brands.append(brand)
                continue
            if key.category in VIBER_ONLY_CATEGORIES:
                if channel != "viber":
                    continue
                reason = "viber_prohibited" if key.action == REFUSE else "content_review"
            else:
                reason = "content_prohibited" if key.action == REFUSE else "content_review"
            findings.append(Finding(reason, key.action, key.category, key.term, key.ref))
        findings.extend(self._link_findings(text, client_id=client_id, mentioned=mentioned_brands, channel=channel))
        if message_type == "advertising":
            keys = set()
            for name in company_names:
                keys |= company_keys(name)
            if keys:
                if not any(f" {k} " in hay or f" {k}" in hay for k in keys):
                    findings.append(Finding("ad_missing_company", REFUSE, "advertising"))
            else:
                findings.append(Finding("ad_missing_company", REFUSE, "advertising"))
            if not has_contact_phone(text):
                findings.append(Finding("ad_missing_phone", REFUSE, "advertising"))
        if findings and with_spans:
            words = _Words(text)
            findings = [self._with_spans(text, f, words) for f in findings]
        findings.sort(key=lambda f: f.action != REFUSE)
        return verdict_from(findings, self.category_labels)

    def _link_findings(self, text, *, client_id, mentioned, channel) -> list[Finding]:
        links = links_in(text)
        if not links:
            return []
        allowed = self.allow_domains.get(0, set()) | self.allow_domains.get(client_id, set())
        out = []
        for link in links:
            host = link.host
            if allowed and host_matches(host, allowed):
                continue
            span = ((link.start, link.end),)
            if link.ip:
                out.append(Finding("phishing_link", REFUSE, "fraud", host, spans=span))
                continue
            folded = anyascii(_unpuny(host)).lower()
            parts = set(re.split(r"[.\-]", folded))
            named = [b for token, b in self.link_tokens if (token in folded if len(token) >= 6 else token in parts)]
            messenger = [b for b in self.brands.values() if b.kind == "messenger" and host_matches(host, b.domain_list())]
            messenger += [b for b in named if b.kind == "messenger"]
            if messenger and channel == "viber":
                out.append(Finding("messenger_mention", REFUSE, "messengers", host, spans=span))
                continue
            if link.registered in self.shorteners or host in self.shorteners:
                out.append(Finding("url_shortener", REFUSE, "fraud", host, spans=span))
                continue
            if link.suffix in self.suspicious_suffixes or link.suffix.rsplit(".", 1)[-1] in self.suspicious_suffixes:
                out.append(Finding("phishing_link", REFUSE, "fraud", host, spans=span))
                continue
            named = [b for b in named if b.kind != "messenger"]
            if named:
                # a brand in the host name: phishing-like unless the host is one of that brand's own
                if not any(host_matches(host, b.domain_list()) for b in named):
                    out.append(Finding("phishing_link", REFUSE, "fraud", host, spans=span))
                continue
            for brand in mentioned:
                if brand.kind in ("bank", "state") and not host_matches(host, brand.domain_list()):
                    out.append(Finding("brand_link_review", REVIEW, "fraud", host, spans=span))
                    break
        return out

    def _with_spans(self, text: str, f: Finding, words) -> Finding:
        if f.spans or not f.term or f.rule_id is not None and f.term in self._regex_terms:
            return f
        return Finding(f.reason, f.action, f.category, f.term, f.rule_id, tuple(spans_of(text, f.term, words=words)))


_TOKEN = re.compile(r"\S+")


class _Words:
    """The whitespace-separated words of a text with their normalized views, computed once for
    all the findings of one text."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
        self.hays = [haystack(text[a:b]) for a, b in self.tokens]


def spans_of(text: str, term: str, max_window: int = 12, words: _Words | None = None) -> list[tuple[int, int]]:
    """Where `term` (a pattern) occurs in the original text, as character spans over whole words:
    each word whose normalized form holds one of its keys, or else the shortest run of words that
    does (a word spelled out letter by letter: к а з и н о). Run only on texts refused or held."""
    keys = keys_of(term)
    if not keys:
        return []
    words = words or _Words(text)
    tokens = words.tokens
    spans = [tokens[i] for i, hay in enumerate(words.hays) if any(k in hay for k in keys)]
    if spans:
        return spans
    for i in range(len(tokens)):
        for j in range(i + 1, min(len(tokens), i + max_window)):
            if any(k in haystack(text[tokens[i][0]:tokens[j][1]]) for k in keys):
                start = i
                while start < j and any(k in haystack(text[tokens[start + 1][0]:tokens[j][1]]) for k in keys):
                    start += 1
                return [(tokens[start][0], tokens[j][1])]
    return []


def highlight_html(text: str, findings) -> str:
    """The text as HTML with every matched span of `findings` in <mark> (escaped; overlapping
    spans merged): for the review queue and the staff's try-a-text page."""
    from django.utils.html import escape

    spans = sorted(span for f in findings for span in f.spans)
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, pos = [], 0
    for a, b in merged:
        out.append(escape(text[pos:a]))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        pos = b
    out.append(escape(text[pos:]))
    return "".join(out)


def text_key(text: str) -> str:
    """What identifies a text however it is spelled (case, look-alikes, spacing, leetspeak): its
    phonetic key. For remembering texts staff approved, so the same text passes at once."""
    return views(normalize_base(text))[1].strip().decode("latin-1")
