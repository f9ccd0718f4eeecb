"""One error shape for every 4xx/5xx: RFC 9457 problem details with field-level `errors`."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from clinic.errors import ClinicError
from clinic.models import ProtectedDeletion

logger = logging.getLogger("clinic.api")
PROBLEM_BASE = "https://clinic.invalid/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"

_TITLES = {
    400: ("validation-error", "Invalid request"),
    401: ("not-authenticated", "Authentication required"),
    403: ("permission-denied", "Permission denied"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    412: ("precondition-failed", "Precondition failed"),
    415: ("unsupported-media-type", "Unsupported media type"),
    428: ("precondition-required", "Precondition required"),
    429: ("throttled", "Too many requests"),
    500: ("server-error", "Server error"),
}


def problem(status_code: int, detail: str, *, errors=None, title=None, type_=None, extra=None):
    """The problem-details body (a dict) used by every error answer."""
    default_type, default_title = _TITLES.get(status_code, ("error", "Error"))
    body = {
        "type": PROBLEM_BASE + (type_ or default_type),
        "title": title or default_title,
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return body


def _flatten(detail) -> dict | list | str:
    """DRF error detail -> plain JSON (lists of strings keyed by field)."""
    if isinstance(detail, dict):
        return {k: _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_flatten(v) for v in detail]
    return str(detail)


def django_validation_errors(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if k == "__all__" else k): [m for e in v for m in e.messages]
            for k, v in exc.error_dict.items()
        }
    return {"non_field_errors": list(exc.messages)}


def problem_exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_validation_errors(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, ProtectedDeletion):
        method = getattr(request, "method", "DELETE")
        exc = exceptions.MethodNotAllowed(method, detail=str(exc))

    if isinstance(exc, ClinicError):
        body = problem(exc.status, exc.detail, title=exc.title, type_=exc.type, extra=exc.extra)
        return _respond(Response(body, status=exc.status), request)

    response = exception_handler(exc, context)
    if response is None:
        return None  # unexpected: Django's 500 handler answers, in the same shape
    code = response.status_code
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        body = problem(code, "One or more fields are invalid.", errors=errors)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        body = problem(code, str(_flatten(detail)))
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        body["retry_after"] = int(exc.wait)
    response.data = body
    return _respond(response, request)


def _respond(response, request):
    if request is not None and hasattr(request, "request_id"):
        response.data["request_id"] = request.request_id
    elif request is not None and hasattr(request, "_request"):
        response.data["request_id"] = getattr(request._request, "request_id", "")
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _wants_json(request) -> bool:
    return request.path.startswith(("/api/", "/fhir/"))


def json_404(request, exception=None):
    from django.views import defaults

    if not _wants_json(request):
        return defaults.page_not_found(request, exception)
    body = problem(status.HTTP_404_NOT_FOUND, "No resource at this address.")
    body["request_id"] = getattr(request, "request_id", "")
    return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)


def json_500(request):
    from django.views import defaults

    if not _wants_json(request):
        return defaults.server_error(request)
    body = problem(500, "An unexpected error occurred; it has been logged with this request id.")
    body["request_id"] = getattr(request, "request_id", "")
    return JsonResponse(body, status=500, content_type=PROBLEM_CONTENT_TYPE)
