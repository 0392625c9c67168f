from rest_framework.permissions import BasePermission

from ..permissions import SEND_ROLES


class IsClientUser(BasePermission):
    """Any authenticated principal that acts for a client (an API key, or a logged-in client user)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "client", None) is not None)


class IsOwnerOrMember(BasePermission):
    """Changes that only owners and members may make (accounts.permissions.SEND_ROLES): on the API
    the principal is a key, so its creator's current role counts (a key made by staff or a command,
    without a creator, acts for the company). Keys of a login demoted to viewer are revoked
    (accounts.services.team); this is the same rule at the door, for any key that was not."""

    message = "Only the account's owners and members may change this; viewers may not."

    def has_permission(self, request, view):
        user = request.user
        if not IsClientUser().has_permission(request, view):
            return False
        key = getattr(user, "api_key", None)
        if key is None:
            return getattr(user, "role", None) in SEND_ROLES
        creator = key.created_by
        return creator is None or (creator.client_id == key.client_id and creator.is_active
                                   and creator.role in SEND_ROLES)
