"""Team roles on the website (and the matching check for services).

    owner   everything: team, API keys, company details, contract, termination, sending
    member  sends SMS and Viber, campaigns, contacts, sender-name requests, sees statistics
    viewer  statistics and message status only (read-only)

Usage in a website view::

    from accounts.permissions import require_role, SEND_ROLES

    @require_role(*SEND_ROLES)          # implies client_required: request.client is set
    def send(request): ...

    @require_role("owner")
    def team(request): ...

`require_role(..., methods=("POST",))` lets every role read the page and checks only writes.
On the API the principal is a key, which acts for the whole company: only owners and members
create keys (viewers get the 403 page), and a key stops when the login that created it becomes a
viewer or leaves the team (accounts.services.team), so a viewer never holds a working key.
API views that change account settings also say `permission_classes = [IsOwnerOrMember]`
(accounts.api.permissions): the same rule checked on the key's creator at each call.
"""
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .models import User

OWNER, MEMBER, VIEWER = User.Role.OWNER, User.Role.MEMBER, User.Role.VIEWER
SEND_ROLES = (OWNER, MEMBER)
ALL_ROLES = (OWNER, MEMBER, VIEWER)


def user_can_send(user) -> bool:
    """The login may send messages and make requests that cost money (owner or member)."""
    return bool(getattr(user, "client_id", None)) and getattr(user, "role", None) in SEND_ROLES


def client_required(view):
    """Login required; the user's client becomes `request.client`. Staff (no client) go to the admin."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        client = request.user.client
        if client is None:
            if request.user.is_staff:
                return redirect("admin:index")
            return render(request, "portal/no_client.html", status=403)
        request.client = client
        return view(request, *args, **kwargs)

    return wrapper


def require_role(*roles, methods: tuple | None = None):
    """A website view for logins of the given roles (owner, member, viewer). Implies
    `client_required`. Other roles get a 403 page saying who can do it. With `methods`, only
    those HTTP methods are checked (e.g. ("POST",): viewers can see, not change)."""
    allowed = tuple(str(r) for r in roles) or ALL_ROLES

    def decorator(view):
        @client_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            checked = methods is None or request.method in methods
            if checked and request.user.role not in allowed:
                labels = ", ".join(User.Role(r).label.lower() for r in allowed)
                return render(request, "portal/account_forbidden.html",
                              {"allowed": labels, "role": request.user.get_role_display()}, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
