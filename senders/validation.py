"""The format rule for SMS sender names (R-SND-01); the fuller word lists arrive with R-SND-02."""
import re

MAX_LENGTH = 11
_ALLOWED = re.compile(r"^[A-Za-z0-9 .&-]+$")


def sender_name_problem(name: str) -> str | None:
    """Why `name` cannot be an SMS sender name, or None when its format is fine."""
    if not name or not name.strip():
        return "Enter a sender name."
    if name != name.strip():
        return "A sender name cannot start or end with a space."
    if len(name) > MAX_LENGTH:
        return f"A sender name has at most {MAX_LENGTH} characters ({len(name)} given)."
    if not _ALLOWED.match(name):
        bad = sorted({c for c in name if not re.match(r"[A-Za-z0-9 .&-]", c)})
        return ("Only Latin letters, digits, spaces and . & - are allowed; not: "
                + " ".join(repr(c) for c in bad) + ".")
    if "  " in name:
        return "A sender name cannot contain two spaces in a row."
    if not re.search(r"[A-Za-z]", name):
        return "A sender name needs at least one Latin letter (digit-only names look like phone numbers or short codes)."
    return None
