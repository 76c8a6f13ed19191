"""Shared UI pieces: shells, the backoffice page template, the language switch."""
