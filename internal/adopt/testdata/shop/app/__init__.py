"""The shop API."""
