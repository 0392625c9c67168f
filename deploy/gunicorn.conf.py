"""gunicorn settings for smsportal's web process (Procfile.prod, deploy/systemd/smsportal-web.service,
deploy/compose.yaml): `gunicorn -c deploy/gunicorn.conf.py smsportal.wsgi`.

Sized from the environment:
    WEB_BIND             address to listen on (default 127.0.0.1:8000; the TLS proxy is in front)
    WEB_CONCURRENCY      worker processes (default 2 × cores + 1)
    WEB_THREADS          threads per worker (default 4); each worker's database pool holds at most
                         this many connections (DB_POOL_MAX_SIZE), so the web tier holds at most
                         WEB_CONCURRENCY × WEB_THREADS PostgreSQL connections
    WEB_TIMEOUT          seconds a request may take before its worker is restarted (default 60;
                         a 100,000-recipient campaign upload takes a few seconds)
    WEB_MAX_REQUESTS     a worker is replaced after this many requests (default 2000, ± jitter)
    FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* headers gunicorn trusts (default 127.0.0.1)
    LOG_FORMAT=json      access and error log as JSON lines (smsportal.logs)
"""
import multiprocessing
import os

bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("WEB_THREADS") or 4)
worker_class = "gthread"
timeout = int(os.environ.get("WEB_TIMEOUT") or 60)
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("WEB_MAX_REQUESTS") or 2000)
max_requests_jitter = max(1, max_requests // 10)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
control_socket_disable = True  # no gunicornc socket in the service user's home
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s" xff="%({x-forwarded-for}i)s"'

# Each worker's threads share one connection pool of `threads` connections (smsportal/settings.py).
if not os.environ.get("DB_POOL_MAX_SIZE"):
    os.environ["DB_POOL_MAX_SIZE"] = str(threads)
if not os.environ.get("DB_APPLICATION_NAME"):
    os.environ["DB_APPLICATION_NAME"] = "smsportal-web"

if os.environ.get("LOG_FORMAT") == "json":
    # Replaces gunicorn's own handlers (same names: its root logger refers to "console").
    _json = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "smsportal.logs.JsonFormatter"}},
        "handlers": {"console": _json, "error_console": _json},
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"handlers": ["error_console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
