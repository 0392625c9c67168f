"""The apps stay in layers (HOUSE_STYLE "Above, not across"; .importlinter at the repo root).

accounts imports no other app, billing only accounts, senders and compliance never messaging,
and only `lifecycle` stands above every app: a function-level import that hides a cycle fails
here as well as a module-level one (import-linter reads every import statement).
"""
import configparser
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_hold():
    run = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--no-logo"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout, run.stdout


def test_the_layers_are_the_documented_ones():
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    layers = [line.strip() for line in config["importlinter:contract:app-layers"]["layers"].split("\n") if line.strip()]
    assert layers == ["lifecycle", "messaging", "senders | compliance", "billing", "accounts"]
    assert config["importlinter:contract:app-layers"]["type"] == "layers"
    assert "lifecycle" in config["importlinter:contract:shared-vocabulary"]["forbidden_modules"].split()
    assert config["importlinter:contract:messaging-models"]["forbidden_modules"].split() == [
        "accounts.models", "billing.models", "senders.models", "compliance.models"]
