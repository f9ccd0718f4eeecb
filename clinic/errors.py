"""Domain errors that services raise and the API turns into problem-details answers."""


class ClinicError(Exception):
    status = 400
    title = "Bad request"
    type = "bad-request"

    def __init__(self, detail: str, *, extra: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class Conflict(ClinicError):
    """The request is valid but clashes with the record's current state (HTTP 409)."""

    status = 409
    title = "Conflict"
    type = "conflict"


class PreconditionFailed(ClinicError):
    """The caller's If-Match no longer matches the record (HTTP 412)."""

    status = 412
    title = "Precondition failed"
    type = "precondition-failed"
