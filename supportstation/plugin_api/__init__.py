"""The public, versioned plugin interface: hook specifications and contribution types.

Plugins import from here only; everything else in `supportstation` may change without notice.
"""

from supportstation.plugin_api.actions import (
    Action,
    ActionError,
    Parameter,
    ParameterError,
    ParameterType,
    ParseError,
    Table,
)
from supportstation.plugin_api.hookspecs import (
    API_VERSION,
    API_VERSION_ATTRIBUTE,
    ENTRY_POINT_GROUP,
    PROJECT_NAME,
    hookimpl,
    hookspec,
)
from supportstation.plugin_api.transports import (
    DeviceConnectionLost,
    DeviceError,
    DeviceLoginRefused,
    DeviceSession,
    DeviceTarget,
    Transport,
)

__all__ = [
    "API_VERSION",
    "API_VERSION_ATTRIBUTE",
    "ENTRY_POINT_GROUP",
    "PROJECT_NAME",
    "Action",
    "ActionError",
    "DeviceConnectionLost",
    "DeviceError",
    "DeviceLoginRefused",
    "DeviceSession",
    "DeviceTarget",
    "Parameter",
    "ParameterError",
    "ParameterType",
    "ParseError",
    "Table",
    "Transport",
    "hookimpl",
    "hookspec",
]
