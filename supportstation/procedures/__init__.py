"""Procedures (runbooks): the YAML format and its schema, loading and saving, parameter quoting, the step engine."""
