"""Start the Prefect server (`prefect server start` on 0.0.0.0:4200).

On PostgreSQL (PREFECT_API_DATABASE_CONNECTION_URL=postgresql+asyncpg://...)
it first creates the URL's database when missing, connecting to the
server's postgres database as the URL's user: the stack's PostgreSQL keeps
MLflow's database and Prefect's side by side (both use alembic, whose
version table would clash in one database).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from urllib.parse import unquote, urlsplit

SERVER = ["prefect", "server", "start", "--host", "0.0.0.0", "--port", "4200"]
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,62}$")


async def ensure_database(url: str) -> str | None:
    """Create the URL's database unless it exists; return its name when created."""
    import asyncpg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not NAME.match(name):
        raise ValueError(f"PREFECT_API_DATABASE_CONNECTION_URL: database name {name!r} is not a plain name")
    conn = await asyncpg.connect(
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        host=parts.hostname,
        port=parts.port or 5432,
        database="postgres",
    )
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return None
        await conn.execute(f'CREATE DATABASE "{name}"')
        return name
    finally:
        await conn.close()


def main() -> int:
    """Prepare the database, then become the server."""
    url = os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL", "")
    if url.startswith("postgresql"):
        deadline = time.monotonic() + 60
        while True:
            try:
                if created := asyncio.run(ensure_database(url)):
                    print(f"prefect: created database {created}", flush=True)
                break
            except (TimeoutError, OSError) as exc:  # PostgreSQL still starting
                if time.monotonic() > deadline:
                    print(f"prefect: reaching PostgreSQL: {exc}", file=sys.stderr)
                    return 1
                time.sleep(2)
            except ValueError as exc:
                print(f"prefect: {exc}", file=sys.stderr)
                return 2
            except Exception as exc:  # asyncpg's errors: a wrong password, no such role
                print(f"prefect: preparing the database of {urlsplit(url).hostname}: {exc}", file=sys.stderr)
                return 1
    os.execvp(SERVER[0], SERVER)
    return 0


if __name__ == "__main__":
    sys.exit(main())
