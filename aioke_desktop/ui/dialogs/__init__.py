"""Dialogs: one a file."""
