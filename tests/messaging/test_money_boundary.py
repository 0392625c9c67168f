"""Messaging tells billing what happened to its messages; billing alone owns the ledger: no module
of messaging reads ledger rows, composes a hold's ledger key or parses one back (R-BILL-14)."""
import ast
import re
from pathlib import Path

import messaging

ROOT = Path(messaging.__file__).parent
# The ledger's own key formats: holds ("send:<batch>", "campaign:<id>") and their settlements.
LEDGER_KEY = re.compile(r"^(send|campaign|capture|release|refund|release-rest|hold-stop|campaign-cancel):(?!\s)")
# Billing's low-level posting API and ledger reads, which work in ledger keys and rows.
LEDGER_NAMES = {"LedgerEntry", "HoldMove", "holds_settle", "holds_open", "wallet_hold", "wallet_capture",
                "wallet_release", "hold_remaining", "hold_stop", "HoldShort"}


def _modules():
    return [p for p in sorted(ROOT.rglob("*.py")) if "migrations" not in p.parts]


def _offences(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        where = f"{path.relative_to(ROOT.parent)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom):
            found += [f"{where} imports {a.name}" for a in node.names if a.name in LEDGER_NAMES]
            if node.module in ("billing.services.holds", "billing.services.ledger"):
                found.append(f"{where} imports from {node.module}")
        elif isinstance(node, ast.Name) and node.id in LEDGER_NAMES:
            found.append(f"{where} uses {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in LEDGER_NAMES:
            found.append(f"{where} uses .{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and LEDGER_KEY.match(node.value):
            found.append(f"{where} spells a ledger key {node.value!r}")  # also the head of an f-string
    return found


def test_r_bill_14_messaging_never_reads_the_ledger_nor_spells_hold_keys():
    modules = _modules()
    assert len(modules) > 20 and any(p.name == "money.py" for p in modules)
    offences = [o for p in modules for o in _offences(p)]
    assert offences == [], "messaging must speak to billing in HoldRef/SettleItem terms:\n" + "\n".join(offences)


def test_the_scan_catches_what_it_forbids(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('from billing.models import LedgerEntry\nkey = f"send:{batch}"\nerror = "send: broken pipe"\nLedgerEntry.objects.all()\n')
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert len(_offences(sample)) == 3
    finally:
        ROOT = saved
