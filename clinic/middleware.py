"""Request id, request context and one structured log line per request."""

import logging
import re
import time
import uuid

from clinic.context import RequestContext, reset_request_context, set_request_context

logger = logging.getLogger("clinic.request")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def source_for_path(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/fhir/"):
        return "fhir"
    if path.startswith("/admin/"):
        return "admin"
    return "web"


def client_ip(request) -> str | None:
    # Behind a proxy, operators set USE_X_FORWARDED_FOR; REMOTE_ADDR is the default truth.
    from django.conf import settings

    if getattr(settings, "USE_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


class RequestIdMiddleware:
    """Give every request an id (the caller's X-Request-ID when well formed) and log its outcome.

    The log line carries the path without its query string: searches put names in query strings.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        ctx = RequestContext(
            request_id=request_id, ip=client_ip(request), source=source_for_path(request.path)
        )
        token = set_request_context(ctx)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                ctx.user_id = user.pk
            response["X-Request-ID"] = request_id
            logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "source": ctx.source,
                },
            )
            return response
        finally:
            reset_request_context(token)
