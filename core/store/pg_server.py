"""The PostgreSQL server side of the shared store: connecting (with pgvector), one line for
any failure of the server, and the workspaces as schemas (list, drop, rename). The
workspace itself, core.store.postgres.PgWorkspace, works over these."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from core.errors import WorkspaceError
from core.store import seat
from core.store.address import STORE_ENV, check_url, remember_store, safe_url

PREFIX = "patent_desk:"
_FIX = f"check the server and the address ({STORE_ENV} or File → Settings…)"


def choose_store(url: str | None) -> None:
    """Save the store of every workspace (None: this computer's SQLite files). A PostgreSQL
    address is checked first (reachable, with pgvector); a bad one changes nothing."""
    if url:
        connect(check_url(url)).close()
    remember_store(url)


def seat_place(url: str, name: str) -> str:
    """Where this computer keeps its own settings for a shared workspace (core.store.seat):
    the store's address without its password, and the workspace's schema."""
    return f"{safe_url(url)} / {_schema(name)}"


def _schema(name: str) -> str:
    schema = PREFIX + name
    if len(schema.encode()) > 63:
        raise WorkspaceError(f"workspace name {name!r} is too long for a PostgreSQL store "
                             f"(at most {63 - len(PREFIX)} bytes); choose a shorter name")
    return schema


def connect(url: str) -> Any:
    import psycopg
    from pgvector.psycopg import register_vector

    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise WorkspaceError(f"cannot reach the PostgreSQL store {safe_url(url)}: "
                             f"{_first_line(exc)}; {_FIX}") from None
    try:
        with conn.transaction():  # seats connecting at once to a new database take turns
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('patent_desk:extension'))")
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except psycopg.Error as exc:
        conn.close()
        raise WorkspaceError(f"the PostgreSQL store {safe_url(url)} has no pgvector "
                             f"({_first_line(exc)}); install the extension "
                             "there (CREATE EXTENSION vector)") from None
    register_vector(conn)
    return conn


class PgConnection:
    """The few sqlite3-connection calls the shared SQL uses, over a psycopg connection."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with _lost_connection():
            return self.conn.execute(sql.replace("?", "%s"), list(params) or None)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        with _lost_connection():
            cursor = self.conn.cursor()
            cursor.executemany(sql.replace("?", "%s"), rows)
            return cursor

    def close(self) -> None:
        self.conn.close()


@contextmanager
def _lost_connection() -> Iterator[None]:
    import psycopg

    try:
        yield
    except psycopg.OperationalError as exc:  # the server went away: one line, not a trace
        raise WorkspaceError(f"the PostgreSQL store stopped answering "
                             f"({_first_line(exc)}); {_FIX}. What was being written was "
                             "rolled back") from None
    except psycopg.Error as exc:  # e.g. the schema was renamed or dropped by another seat,
        raise WorkspaceError(     # or the role may not write: still one line
            f"the PostgreSQL store refused the request ({_first_line(exc)}); reopen the "
            "workspace, or ask the database's administrator. Nothing was changed") from None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def list_names(url: str) -> list[str]:
    conn = connect(url)
    try:
        rows = conn.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)"
                            " ORDER BY nspname", (PREFIX,)).fetchall()
    finally:
        conn.close()
    return [r[0][len(PREFIX):] for r in rows]


def drop(url: str, name: str) -> None:
    from psycopg import sql

    conn = connect(url)
    try:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(_schema(name))))
    finally:
        conn.close()
    seat.move(seat_place(url, name), None)


def rename(url: str, old: str, new: str) -> None:
    from psycopg import sql

    conn = connect(url)
    try:
        conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
            sql.Identifier(_schema(old)), sql.Identifier(_schema(new))))
    finally:
        conn.close()
    seat.move(seat_place(url, old), seat_place(url, new))
