"""Every widget of SupportStation. The only package (with `app.py`) allowed to import QtWidgets."""
