"""The results table and files."""
from __future__ import annotations

import json
import os
from pathlib import Path


def figure(*, name: str, value: float, unit: str, limit_name: str = "", limit_value: float | None = None,
           ratio: float | None = None, ratio_text: str = "", target: str = "", passed: bool | None = None,
           note: str = "") -> dict:
    return {"figure": name, "value": round(value, 3) if value is not None else None, "unit": unit,
            "limit": limit_name, "limit_value": round(limit_value, 3) if limit_value is not None else None,
            "ratio": round(ratio, 3) if ratio is not None else None, "ratio_text": ratio_text,
            "target": target, "pass": passed, "note": note}


def _fmt(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.2f} s"
    if unit.endswith("/s"):
        return f"{value:,.0f} {unit}"
    return f"{value:,.2f} {unit}"


def verdict(passed) -> str:
    return "—" if passed is None else ("PASS" if passed else "FAIL")


def print_table(results: list[dict]) -> None:
    rows = [("benchmark", "figure", "measured", "limit", "limit value", "ratio", "target", "result")]
    for res in results:
        for f in res.get("figures", []):
            rows.append((res["name"], f["figure"], _fmt(f["value"], f["unit"]), f["limit"] or "—",
                         _fmt(f["limit_value"], f["unit"]) if f["limit_value"] is not None else "—",
                         f["ratio_text"] or "—", f["target"] or "—", verdict(f["pass"])))
        if res.get("error"):
            rows.append((res["name"], "ERROR", res["error"][:60], "", "", "", "", "FAIL"))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    line = "  ".join("-" * w for w in widths)
    print()
    for i, r in enumerate(rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            print(line)
    print()


def write(results_dir: Path, machine: dict, results: list[dict], *, partial: bool) -> None:
    """One file per benchmark run, and latest.json: the summary of this run (merged with the
    previous summary when only some benchmarks ran)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    for res in results:
        path = results_dir / f"{res['name']}.json"
        path.write_text(json.dumps({"machine": machine, **res}, indent=2, ensure_ascii=False) + "\n")
    latest_path = results_dir / "latest.json"
    summary = {}
    if partial and latest_path.exists():
        try:
            summary = json.loads(latest_path.read_text()).get("benchmarks", {})
        except (ValueError, OSError):
            summary = {}
    for res in results:
        summary[res["name"]] = {"timestamp": machine["timestamp"], "seconds": res.get("seconds"),
                                "error": res.get("error"), "n": res.get("n"), "figures": res.get("figures", [])}
    latest = {"machine": machine, "benchmarks": summary,
              "all_pass": all(f["pass"] is not False for b in summary.values() for f in b["figures"])
              and not any(b.get("error") for b in summary.values())}
    tmp = latest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(latest, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, latest_path)
