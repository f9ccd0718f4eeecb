"""JSON-lines logging that carries request context and never patient data.

Exception messages can quote database values (an IntegrityError's DETAIL names the row), so the
formatter logs the exception type and the stack frames, never the message text.
"""

import json
import logging
import traceback
from datetime import UTC, datetime

from clinic.context import current_request_context

_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "user_id",
}
# Extra fields a caller may attach to a record; anything else is dropped so free text cannot leak.
ALLOWED_EXTRA = {
    "method",
    "path",
    "status",
    "duration_ms",
    "source",
    "action",
    "object_type",
    "object_id",
    "count",
    "event",
}


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = current_request_context()
        record.request_id = ctx.request_id if ctx else None
        record.user_id = ctx.user_id if ctx else None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
        }
        for key, value in record.__dict__.items():
            if key in ALLOWED_EXTRA and key not in _STANDARD_ATTRS:
                data[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _exc, tb = record.exc_info
            data["exc_type"] = f"{exc_type.__module__}.{exc_type.__qualname__}"
            data["stack"] = "".join(traceback.format_tb(tb))
        return json.dumps(data, default=str)
