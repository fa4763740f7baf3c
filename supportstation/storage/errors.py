"""Errors raised when opening or migrating a database, with messages meant for the user."""


class DatabaseError(Exception):
    """The database cannot be used. The message names the file or URL and says what to do; data was left as it was."""
