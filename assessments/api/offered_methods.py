"""Answer 405 for a method a resource does not offer, before asking whether the role may use it.

Without this an immutable record answers PATCH with 403 to roles lacking "change" and 405 to the
rest; a client should learn once that the method does not exist here, whoever asks.
"""

from rest_framework import exceptions


class OfferedMethodsFirstMixin:
    def check_permissions(self, request):
        user = getattr(request, "user", None)
        offered = getattr(self, "action_map", None) or {}
        if (
            user is not None
            and user.is_authenticated
            and request.method not in ("OPTIONS", "HEAD")
            and request.method.lower() not in offered
        ):
            raise exceptions.MethodNotAllowed(request.method)
        super().check_permissions(request)
