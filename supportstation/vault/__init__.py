"""Secrets: the OS keyring, with an encrypted-file fallback. The database only ever holds references."""
