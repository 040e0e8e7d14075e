"""Where the workspaces live: this computer's SQLite files, or a shared PostgreSQL store
whose address is saved for every workspace (settings.json) or given in PATENT_DESK_STORE.

The saved address never holds its password: that is kept apart, in a file only this user
may read (mode 0600), unless libpq's own ~/.pgpass or PGPASSWORD supplies it."""

from __future__ import annotations

import json
import os

from core import paths
from core.errors import WorkspaceError
from core.shared_settings import set_shared_setting, shared_setting

STORE_ENV = "PATENT_DESK_STORE"
_FIX = f"check the server and the address ({STORE_ENV} or File → Settings…)"


def store_url() -> str | None:
    """The shared PostgreSQL store in use, or None for the SQLite files (the default):
    the environment variable wins over the setting saved for every workspace, and
    PATENT_DESK_STORE=sqlite uses the files even where a store is saved (say, off the
    office network)."""
    chosen = os.environ.get(STORE_ENV)
    if chosen == "sqlite":  # this computer's files whatever the saved setting says
        return None
    url = chosen or _with_saved_password(shared_setting("store")) or None
    return check_url(url, _FIX) if url else None


_PASSWORDS = "store-passwords.json"  # in the data folder, readable by this user only


def _split_password(url: str) -> tuple[str, str | None]:
    """(the address without its password, the password or None)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.password:  # none, or empty ("user:@host"): nothing to keep apart
        return url, None
    host = parts.netloc.rpartition("@")[2]
    user = parts.netloc.rpartition("@")[0].partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}")), parts.password


def _with_saved_password(url: object) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    from urllib.parse import quote, urlsplit, urlunsplit

    password = _saved_passwords().get(url)
    parts = urlsplit(url)
    if password is None or parts.password is not None or "@" not in parts.netloc:
        return url  # libpq's own ~/.pgpass or PGPASSWORD may supply it
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}"))


def _saved_passwords() -> dict[str, str]:
    try:
        data = json.loads((paths.data_home() / _PASSWORDS).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remember_store(url: str | None) -> None:
    """Save the store for every workspace: the address in settings.json without its
    password, the password apart in a file only this user may read (mode 0600)."""
    if not url:
        set_shared_setting("store", None)
        return
    address, password = _split_password(url)
    if password is not None:
        from urllib.parse import unquote

        saved = {**_saved_passwords(), address: unquote(password)}
        paths.write_text_atomic(paths.data_home() / _PASSWORDS, json.dumps(saved),
                                private=True)
    set_shared_setting("store", address)


def check_url(url: str, fix: str = "") -> str:
    """`url` if it names a PostgreSQL store; WorkspaceError otherwise."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise WorkspaceError(f"store address {url!r} must start with postgresql:// "
                             f"(for example postgresql://user@host/patentdesk)"
                             + (f"; {fix}" if fix else ""))
    return url


def safe_url(url: str) -> str:
    """The address without its password, for messages and listings."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        parts = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - a malformed address is shown as given, minus nothing
        return url.split("@")[-1]
    parts.pop("password", None)
    return make_conninfo(**parts)
