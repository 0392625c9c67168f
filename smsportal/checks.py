"""Start-up checks of the production static files.

With DEBUG off, static files are served under hashed names read from STATIC_ROOT/staticfiles.json,
which `manage.py collectstatic` writes. Without it (or with one from an older release) every page
that names a missing file fails with a 500 ("Missing staticfiles manifest entry"). These checks
say so before the first request:

- `manage.py check --deploy` (and `make check`) reports them (smsportal.E001-E003);
- smsportal/wsgi.py runs them when the web server loads the application and refuses to start.

They are deploy checks only: `collectstatic` and `migrate` run the ordinary checks, and must work
before the manifest exists.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages
from django.template.utils import get_app_template_dirs

# A literal `{% static "path" %}` in a template (a name built at render time is not checked).
STATIC_TAG = re.compile(r"""\{%\s*static\s+(["'])(?P<path>[^"']+)\1""")
COLLECT_IGNORE = ["CVS", ".*", "*~"]  # collectstatic's default ignore patterns
HINT = "Run `python manage.py collectstatic --noinput` with the production settings before starting the web server."


def _template_dirs() -> list[Path]:
    dirs = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    return dirs + [Path(d) for d in get_app_template_dirs("templates")]


def templates_static_references() -> dict[str, str]:
    """Every static path named literally in a template → the first template naming it."""
    found: dict[str, str] = {}
    for base in _template_dirs():
        for path in sorted(base.rglob("*.html")) + sorted(base.rglob("*.txt")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for match in STATIC_TAG.finditer(text):
                found.setdefault(match["path"], str(path))
    return found


def _static_sources() -> set[str]:
    """The paths collectstatic would copy (what the finders find)."""
    names = set()
    for finder in finders.get_finders():
        for path, _storage in finder.list(COLLECT_IGNORE):
            names.add(path.replace("\\", "/"))
    return names


@checks.register(checks.Tags.staticfiles, deploy=True)
def static_manifest_check(app_configs=None, **kwargs):
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return []
    manifest_path = Path(storage.path(storage.manifest_name))
    try:
        paths = json.loads(manifest_path.read_text(encoding="utf-8"))["paths"]
    except FileNotFoundError:
        return [checks.Error(f"The static files manifest {manifest_path} does not exist: with DEBUG off every page "
                             "would fail with a server error.", hint=HINT, id="smsportal.E001")]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [checks.Error(f"The static files manifest {manifest_path} cannot be read ({exc}).", hint=HINT,
                             id="smsportal.E001")]
    errors = []
    referenced = templates_static_references()
    missing = sorted(p for p in referenced if p not in paths)
    if missing:
        listed = ", ".join(f"{p} ({Path(referenced[p]).name})" for p in missing[:10])
        errors.append(checks.Error(
            f"{len(missing)} static file(s) named in templates are not in {manifest_path}: {listed}"
            + (" …" if len(missing) > 10 else "") + ". Those pages would fail with a server error.",
            hint=HINT + " A name that no app provides is a typo in the template.", id="smsportal.E002"))
    stale = sorted(_static_sources() - set(paths))
    if stale:
        errors.append(checks.Error(
            f"{len(stale)} static file(s) of this release are not in {manifest_path} (collected from an older "
            f"release?): {', '.join(stale[:10])}" + (" …" if len(stale) > 10 else "") + ".",
            hint=HINT, id="smsportal.E003"))
    return errors


def static_manifest_require() -> None:
    """Raises ImproperlyConfigured with the problems of static_manifest_check (the web server's
    start-up, smsportal/wsgi.py)."""
    errors = static_manifest_check()
    if errors:
        raise ImproperlyConfigured("The web server cannot start: " + " ".join(
            f"[{e.id}] {e.msg} {e.hint}" for e in errors))
