"""Per-request context (request id, acting user, source, client address) for logs and audit.

A ContextVar rather than thread locals so it is correct under ASGI as well as WSGI.
"""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class RequestContext:
    request_id: str
    ip: str | None = None
    user_id: int | None = None
    source: str = "system"


_current: ContextVar[RequestContext | None] = ContextVar("clinic_request_context", default=None)


def current_request_context() -> RequestContext | None:
    return _current.get()


def set_request_context(ctx: RequestContext | None):
    return _current.set(ctx)


def reset_request_context(token) -> None:
    _current.reset(token)
