"""JSON from outside (API bodies, signed payment callbacks), refused when it holds a lone surrogate
or a NUL character (smsportal.boundary: text is checked once, where it comes in).

JSON may spell a UTF-16 surrogate as an escape (`"\\ud800"`); on its own, without its pair, it is
not a character: Python keeps it in the string, and it fails later wherever the text is encoded
(PostgreSQL, the JSON renderer, a log line) — a 500. `json_loads` refuses it where the body is
parsed, so nothing past the parser ever sees one. A proper pair (`"\\ud83d\\ude00"`, an emoji) is
one character and passes.

PostgreSQL stores no NUL (`"\u0000"`) in a text or JSON column: `json_loads` refuses it too, and
says where it is (`NulCharacterError.path`), so the API can name the field and row.
"""
import json
import re
from collections import deque

_SURROGATE = re.compile("[\ud800-\udfff]")


class UnstorableTextError(ValueError):
    """A string (or an object key) in the JSON holds a character that cannot be stored."""


class LoneSurrogateError(UnstorableTextError):
    """A string (or an object key) in the JSON holds half of a UTF-16 surrogate pair."""

    def __init__(self):
        super().__init__("a string holds a lone UTF-16 surrogate (such as \\ud800 without its pair), which is "
                         "not a character; send the text as UTF-8 or escape whole pairs.")


def has_lone_surrogate(value) -> bool:
    """Whether any string (or object key) in a parsed JSON value holds a surrogate. Iterative: a
    value nested as deep as the parser allowed is walked without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class NulCharacterError(UnstorableTextError):
    """A string (or an object key) in the JSON holds a NUL character; `path` leads to it from the
    top: object keys and list positions (0-based), e.g. ["recipients", 1, "name"]."""

    def __init__(self, path: list):
        self.path = path
        where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")
        super().__init__(f"{where + ': ' if where else ''}null characters are not allowed.")


def _unstorable(value) -> type[UnstorableTextError] | None:
    """The first problem found in a parsed JSON value: LoneSurrogateError, NulCharacterError or None.
    One iterative walk (a body of 100,000 recipients is walked once)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return NulCharacterError
            if not item.isascii() and _SURROGATE.search(item):
                return LoneSurrogateError
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _nul_path(value) -> list:
    """The path to the first NUL of `value` (which holds one), breadth-first."""
    queue = deque([(value, [])])
    while queue:
        item, path = queue.popleft()
        if isinstance(item, str) and "\x00" in item:
            return path
        if isinstance(item, dict):
            for key, sub in item.items():
                if "\x00" in key:
                    return path + [key]
                queue.append((sub, path + [key]))
        elif isinstance(item, list):
            queue.extend((sub, path + [i]) for i, sub in enumerate(item))
    return []


def json_check(value):
    """Returns `value`, or raises LoneSurrogateError when it holds a lone surrogate and
    NulCharacterError when it holds a NUL."""
    problem = _unstorable(value)
    if problem is LoneSurrogateError:
        raise LoneSurrogateError()
    if problem is NulCharacterError:
        raise NulCharacterError(_nul_path(value))
    return value


def json_loads(data, **kwargs):
    """`json.loads`, raising UnstorableTextError (a ValueError) for a lone surrogate or a NUL."""
    return json_check(json.loads(data, **kwargs))
