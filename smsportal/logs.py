"""Structured logs: with LOG_FORMAT=json (production) every log line is one JSON object, for a log
collector (journald, Loki, a cloud's log service) to index without parsing text.

    {"ts": "2026-05-01T09:30:00.123Z", "level": "INFO", "logger": "smsportal.connector",
     "message": "route kyivstar bind 0: bound to …", "process": 1234, "thread": "bind-kyivstar-0"}

Fields passed with `extra={…}` are kept as keys; an exception adds "exc". Gunicorn's access log
(deploy/gunicorn.conf.py) comes through the same formatter with the request's fields."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

# Attributes every LogRecord has: anything else on a record came from `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}

# gunicorn's access log atoms (its record.args) worth a key of their own.
_ACCESS = {"h": "remote", "m": "method", "U": "path", "q": "query", "s": "status", "B": "bytes", "M": "ms",
           "f": "referer", "a": "user_agent", "{x-forwarded-for}i": "forwarded_for"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
            "thread": record.threadName,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            for atom, key in _ACCESS.items():
                value = record.args.get(atom)
                if value not in (None, "-", ""):
                    entry[key] = _number(value) if key in ("status", "bytes", "ms") else value
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def _number(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value
