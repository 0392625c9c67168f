"""Memory of the delivery-report exports (messaging.exports) for N messages of one client.

    .venv/bin/python bench/export_memory.py --n 200000          # seeds, then measures CSV and XLSX
    .venv/bin/python bench/export_memory.py --n 1000000 --only csv

Uses (drops and re-creates) the database `smsportal_export_bench` (BENCH_EXPORT_DB), migrated
with the production settings (DEBUG=true for manage.py), and seeds N messages with one
INSERT … SELECT generate_series. Each export then runs in a fresh child process that streams it
to /dev/null (CSV: every chunk of the StreamingHttpResponse; XLSX: the finished temporary file)
and reports its peak RSS against its RSS before the export: constant memory means the growth
does not depend on N.

Measured on the 2-core dev machine (under load), 2026-12-05, messages of 15 columns:

    CSV    200,000 rows   58 MB   51 s   RSS +6.4 MB
    CSV  1,000,000 rows  293 MB   49 s   RSS +6.9 MB
    XLSX   200,000 rows   17 MB  212 s   RSS +15.1 MB
    XLSX 1,000,000 rows   85 MB  249 s   RSS +14.9 MB   (the file is complete before the first byte goes)
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB = os.environ.get("BENCH_EXPORT_DB", "smsportal_export_bench")
ENV = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}", "DEBUG": "true",
       "DJANGO_SETTINGS_MODULE": "smsportal.settings", "PYTHONPATH": ROOT}
PY = os.path.join(ROOT, ".venv", "bin", "python")


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True)


def seed(n: int) -> None:
    _psql(f"DROP DATABASE IF EXISTS {DB}")
    _psql(f"CREATE DATABASE {DB}")
    subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=ENV, check=True)
    code = f"""
import django; django.setup()
from django.db import connection
from tests.factories import make_client
client = make_client(name="Export Bench", balance=0)
with connection.cursor() as cur:
    cur.execute(
        "INSERT INTO messaging_message (public_id, client_id, batch_id, sender, recipient, text, encoding, "
        "segments, message_type, price, price_currency, status, is_bulk, operator, error_code, error_detail, "
        "created_at, updated_at, submitted_at, done_at, callback_url, channel) "
        "SELECT gen_random_uuid(), %s, gen_random_uuid(), 'BenchShop', '+38067' || lpad(g::text, 7, '0'), "
        "'Ваше замовлення №' || g || ' готове до видачі. Дякуємо, що обрали нас!', 'ucs2', 2, 'service', 1.70, "
        "'UAH', 'delivered', true, 'kyivstar', '', '', now() - make_interval(secs => g), now(), now(), now(), "
        "'', 'sms' FROM generate_series(1, {n}) AS g", [client.pk])
    cur.execute("ANALYZE messaging_message")
print(client.pk)
"""
    subprocess.run([PY, "-c", code], cwd=ROOT, env=ENV, check=True)


def measure(kind: str) -> dict:
    """In this (child) process: the export of every message, written to /dev/null."""
    import django
    django.setup()
    from messaging.exports import csv_response, xlsx_file
    from messaging.models import Message
    from messaging.selectors import messages_filtered
    from accounts.models import Client

    client = Client.objects.get(name="Export Bench")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.monotonic()
    size = 0
    qs = messages_filtered(client=client)
    if kind == "csv":
        response = csv_response(qs)
        with open(os.devnull, "wb") as out:
            for chunk in response.streaming_content:
                size += len(chunk)
                out.write(chunk)
        response.close()
    else:
        f = xlsx_file(qs)
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"kind": kind, "rows": Message.objects.filter(client=client).count(), "seconds": round(time.monotonic() - t0, 1),
            "bytes": size, "rss_before_mb": round(before / 1024, 1), "rss_peak_mb": round(peak / 1024, 1),
            "growth_mb": round((peak - before) / 1024, 1)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--only", choices=["csv", "xlsx"])
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--child", choices=["csv", "xlsx"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    if not args.no_seed:
        seed(args.n)
    for kind in [args.only] if args.only else ["csv", "xlsx"]:
        out = subprocess.run([PY, __file__, "--child", kind], cwd=ROOT, env=ENV, check=True, capture_output=True,
                             text=True).stdout.strip().splitlines()[-1]
        print(out, flush=True)


if __name__ == "__main__":
    sys.exit(main())
