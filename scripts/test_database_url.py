"""Print the DATABASE_URL `make test` should use, and say on stderr what was chosen and why.

Order: $DATABASE_URL when set; PostgreSQL at 127.0.0.1:5432 (user postgres) when it answers;
otherwise SQLite, with a notice of what is skipped. With CI=true PostgreSQL is required.
"""

import os
import socket
import sys

PG_URL = "postgres://postgres@127.0.0.1:5432/clinic"


def postgres_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def main() -> int:
    in_ci = os.environ.get("CI", "").lower() == "true"
    url = os.environ.get("DATABASE_URL")
    if url:
        print(
            f"make test: using DATABASE_URL from the environment ({url.split('://')[0]})",
            file=sys.stderr,
        )
    elif postgres_answers():
        url = PG_URL
        print("make test: using PostgreSQL at 127.0.0.1:5432", file=sys.stderr)
    elif in_ci:
        print(
            "make test: CI=true but PostgreSQL at 127.0.0.1:5432 does not answer", file=sys.stderr
        )
        return 1
    else:
        url = "sqlite:///" + os.path.abspath("var/test.sqlite3")
        print(
            "make test: NOTICE: PostgreSQL not reachable; running on SQLite. Tests marked "
            "'postgres' (trigram search, concurrent MRN allocation, row locks) are SKIPPED.",
            file=sys.stderr,
        )
    if in_ci and not url.startswith(("postgres", "postgresql", "pgsql")):
        print("make test: CI=true requires a PostgreSQL DATABASE_URL", file=sys.stderr)
        return 1
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
