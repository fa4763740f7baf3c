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
from supportstation.plugin_api.facts import FactCollector
from supportstation.plugin_api.hookspecs import (
    API_VERSION,
    API_VERSION_ATTRIBUTE,
    ENTRY_POINT_GROUP,
    PROJECT_NAME,
    hookimpl,
    hookspec,
)
from supportstation.plugin_api.panels import Panel, PanelContext
from supportstation.plugin_api.report_sections import ReportContext, ReportRun, ReportSection
from supportstation.plugin_api.translations import N_, Translations, translations
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
    "N_",
    "PROJECT_NAME",
    "Action",
    "ActionError",
    "DeviceConnectionLost",
    "DeviceError",
    "DeviceLoginRefused",
    "DeviceSession",
    "DeviceTarget",
    "FactCollector",
    "Panel",
    "PanelContext",
    "Parameter",
    "ParameterError",
    "ParameterType",
    "ParseError",
    "ReportContext",
    "ReportRun",
    "ReportSection",
    "Table",
    "Translations",
    "Transport",
    "hookimpl",
    "hookspec",
    "translations",
]
