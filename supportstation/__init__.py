"""SupportStation: a workstation for on-site IT support engineers."""

__version__ = "0.1.0"
