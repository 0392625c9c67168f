from rest_framework.permissions import BasePermission


class IsClientUser(BasePermission):
    """Any authenticated principal that acts for a client (an API key, or a logged-in client user)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "client", None) is not None)
