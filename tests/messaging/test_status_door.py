"""One door for the message status machine (HOUSE_STYLE): no product module but
`messaging.services.transitions` writes a message's or a part's status, so no status change can
skip its webhook events or its money. Tests and benchmarks, which set rows up or reset them, are
not product code; migrations describe history."""
import ast
import re
from pathlib import Path

import pytest

from messaging.services.transitions import parts_move
from messaging.status import InvalidTransition, Status

ROOT = Path(__file__).resolve().parents[2]
DOOR = ROOT / "messaging" / "services" / "transitions.py"
SKIPPED_DIRS = {".venv", "venv", "node_modules", "tests", "bench", "migrations", "var", ".git", "__pycache__"}

# The tables' names as the code spells them in SQL.
_TABLE = r"(?:\"?messaging_message\"?|\"?messaging_messagepart\"?|\{_MESSAGE\}|\{_PART\}|" \
         r"\{Message\._meta\.db_table\}|\{MessagePart\._meta\.db_table\})"
_SQL_STATUS_UPDATE = re.compile(rf"UPDATE\s+{_TABLE}(?:\s+(?:AS\s+)?\w+)?\s+SET\b(?:(?!\bWHERE\b|\bFROM\b).)*?"
                                rf"\bstatus\s*=", re.IGNORECASE | re.DOTALL)
_MODELS = {"Message", "MessagePart"}
_RELATED = {"messages", "parts", "message_set", "messagepart_set"}


def _root_names(node) -> set[str]:
    """The names and attributes a call chain goes through (`Message.objects.filter(...)` →
    {"Message", "objects", "filter"})."""
    names = set()
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            if isinstance(node, ast.Name):
                names.add(node.id)
            return names


def _is_message_chain(node) -> bool:
    names = _root_names(node)
    return bool(names & (_MODELS | _RELATED)) or any(re.search(r"message|part", n, re.I) for n in names)


def status_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) of every write of a message's or a part's status in `source`."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method == "update" and any(k.arg == "status" for k in node.keywords) \
                    and _is_message_chain(node.func.value):
                found.append((node.lineno, "queryset .update(status=…)"))
            elif method == "bulk_update" and _is_message_chain(node.func.value) and any(
                    isinstance(c, ast.Constant) and c.value == "status"
                    for a in node.args[1:] + [k.value for k in node.keywords] for c in ast.walk(a)):
                found.append((node.lineno, "bulk_update of status"))
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Attribute) and t.attr == "status" and _is_message_chain(t.value):
                    found.append((node.lineno, "assignment to .status"))
        elif isinstance(node, (ast.Constant, ast.JoinedStr)) and not isinstance(getattr(node, "value", ""), bytes):
            text = ast.get_source_segment(source, node) or ""
            if _SQL_STATUS_UPDATE.search(text):
                found.append((node.lineno, "SQL UPDATE … SET status"))
    # an f-string's pieces are Constants inside the JoinedStr: report each line once
    return sorted(set(found))


def _product_files():
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if SKIPPED_DIRS & set(rel.parts[:-1]) or path == DOOR:
            continue
        yield path, rel


def test_no_module_outside_the_status_door_writes_a_message_or_part_status():
    offenders = []
    for path, rel in _product_files():
        for line, what in status_writes(path.read_text(encoding="utf-8")):
            offenders.append(f"{rel}:{line}: {what}")
    assert not offenders, ("Status writes outside messaging/services/transitions.py (call the door instead):\n"
                           + "\n".join(offenders))


# What a status change means, written by the door alone from the rows it changed.
STATUS_CONSEQUENCES = {"messages_settle", "messages_capture", "webhook_events_record", "webhook_events_submitted"}
_DEFINED_IN = {ROOT / "messaging" / "services" / "money.py", ROOT / "messaging" / "services" / "webhooks.py"}


def test_only_the_door_tells_billing_and_the_webhook_outbox_about_status_changes():
    offenders = []
    for path, rel in _product_files():
        if path in _DEFINED_IN:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in STATUS_CONSEQUENCES:
                    offenders.append(f"{rel}:{node.lineno}: {name}")
    assert not offenders, "Only messaging/services/transitions.py calls these:\n" + "\n".join(offenders)


def test_the_door_itself_is_seen_writing_statuses():
    """The scanner finds the door's own writes: it is not blind."""
    kinds = {what for _line, what in status_writes(DOOR.read_text(encoding="utf-8"))}
    assert {"SQL UPDATE … SET status", "queryset .update(status=…)"} <= kinds


@pytest.mark.parametrize("snippet", [
    "Message.objects.filter(pk=1).update(status='cancelled')",
    "MessagePart.objects.filter(pk__in=ids, status=Q).update(\n    status=Status.QUEUED, done_at=now)",
    "client.messages.filter(status='queued').update(status='cancelled', done_at=now)",
    "message.status = Status.FAILED\nmessage.save()",
    "part.status = 'failed'",
    "Message.objects.bulk_update(rows, ['status', 'done_at'])",
    "cur.execute(f'UPDATE {_MESSAGE} AS m SET done_at = %s, status = %s WHERE id = %s')",
    "cur.execute(f\"UPDATE {Message._meta.db_table} SET status = %s, \"\n            f\"done_at = %s WHERE campaign_id = %s\")",
    "sql = 'UPDATE messaging_messagepart p SET status = v.st FROM unnest(%s) v WHERE p.id = v.id'",
])
def test_the_scanner_sees_each_kind_of_status_write(snippet):
    assert status_writes(snippet)


@pytest.mark.parametrize("snippet", [
    "Message.objects.create(status='queued')",  # a new row is born with its status: no transition
    "MessagePart.objects.filter(status='submitting').update(error_code='in_doubt')",
    "Client.objects.filter(pk=1).update(status='blocked')",
    "invoice.status = 'paid'",
    "cur.execute(f'UPDATE {_MESSAGE} SET text = %s WHERE status = %s')",
    "cur.execute(f'UPDATE {_CAMPAIGN} SET status = %s')",
    "cur.execute(f'UPDATE {_EVENT} AS e SET state = %s FROM {_MESSAGE} m WHERE m.status = %s')",
])
def test_the_scanner_leaves_other_writes_alone(snippet):
    assert not status_writes(snippet)


def test_a_part_move_the_status_machine_does_not_allow_is_refused():
    """Parts follow their message's machine: a delivered part never goes back to submitted."""
    with pytest.raises(InvalidTransition):
        parts_move(ids=[1], new=Status.SUBMITTED, sources=[Status.SUBMITTING, Status.DELIVERED])
