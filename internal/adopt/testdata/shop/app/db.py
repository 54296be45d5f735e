"""Database connection from DATABASE_URL."""

import os

import psycopg


def connect() -> psycopg.Connection:
    """Open a connection to the shop's database."""
    return psycopg.connect(os.environ["DATABASE_URL"])
