"""Sizes as the window shows them."""

from __future__ import annotations

from supportstation.i18n import _


def format_size(size: float) -> str:
    """Decimal units, as file managers show them: 1.5 MB is 1,500,000 bytes."""
    if size < 1000:
        return _("{count} B").format(count=int(size))
    units = (_("{value:.1f} kB"), _("{value:.1f} MB"), _("{value:.1f} GB"), _("{value:.1f} TB"))
    step = 0
    size /= 1000
    while size >= 1000 and step < len(units) - 1:
        size /= 1000
        step += 1
    return units[step].format(value=size)
