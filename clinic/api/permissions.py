"""DRF permission backed by the permission matrix in clinic.access."""

from rest_framework.permissions import BasePermission

from clinic import access

_METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "archive",
}


def required_action(request, view) -> str:
    """The matrix action a request needs; custom @actions declare theirs in `action_permissions`."""
    mapping = getattr(view, "action_permissions", {}) or {}
    name = getattr(view, "action", None)
    if name in mapping:
        return mapping[name]
    return _METHOD_ACTIONS.get(request.method, "change")


class RolePermission(BasePermission):
    """Allow a request when one of the user's roles may do its action on the view's record type.

    Views without a `record_type` are closed, so a new endpoint cannot be open by accident.
    """

    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        record_type = getattr(view, "record_type", None)
        if record_type is None:
            return False
        token = request.auth if not isinstance(request.auth, str | bytes) else None
        return access.can(user, record_type, required_action(request, view), token=token)
