"""Load demo products."""

from app.db import connect

if __name__ == "__main__":
    with connect() as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS products (id serial PRIMARY KEY, name text NOT NULL, price numeric NOT NULL)"
        )
        conn.execute(
            "INSERT INTO products (name, price) VALUES ('mug', 9.5), ('shirt', 19)"
        )
    print("demo products loaded")
