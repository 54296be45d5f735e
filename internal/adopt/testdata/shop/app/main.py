"""HTTP API of the shop: health and the product list."""

from fastapi import FastAPI

from app.db import connect

app = FastAPI(title="shop")


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """Answer when the database answers."""
    with connect() as conn:
        conn.execute("SELECT 1")
    return {"status": "ok"}


@app.get("/products")
def products() -> list[dict[str, object]]:
    """List the products."""
    with connect() as conn:
        rows = conn.execute(
            "SELECT id, name, price FROM products ORDER BY id"
        ).fetchall()
    return [{"id": r[0], "name": r[1], "price": float(r[2])} for r in rows]
