"""Create the shop's tables."""

from app.db import connect

if __name__ == "__main__":
    with connect() as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS products (id serial PRIMARY KEY, name text NOT NULL, price numeric NOT NULL)"
        )
    print("tables ready")
