"""Database backends of the project's own (settings.py names them in DATABASES)."""
