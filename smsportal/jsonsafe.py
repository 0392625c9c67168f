"""JSON from outside (API bodies, signed payment callbacks), refused when it holds a lone surrogate.

JSON may spell a UTF-16 surrogate as an escape (`"\\ud800"`); on its own, without its pair, it is
not a character: Python keeps it in the string, and it fails later wherever the text is encoded
(PostgreSQL, the JSON renderer, a log line) — a 500. `json_loads` refuses it where the body is
parsed, so nothing past the parser ever sees one. A proper pair (`"\\ud83d\\ude00"`, an emoji) is
one character and passes.
"""
import json
import re

_SURROGATE = re.compile("[\ud800-\udfff]")


class LoneSurrogateError(ValueError):
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


def json_check(value):
    """Returns `value`, or raises LoneSurrogateError when it holds a lone surrogate."""
    if has_lone_surrogate(value):
        raise LoneSurrogateError()
    return value


def json_loads(data, **kwargs):
    """`json.loads`, raising LoneSurrogateError (a ValueError) for a lone surrogate."""
    return json_check(json.loads(data, **kwargs))
