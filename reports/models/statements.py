"""Statements, their approval, renders and signing keys."""

__all__: list[str] = []
