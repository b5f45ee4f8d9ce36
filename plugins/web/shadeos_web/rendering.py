"""The Jinja2 environment of the pages (autoescaped), with the filters the templates use."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from shadeos_core.durations import format_duration

__all__ = ["Templates", "redact"]

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Shapes of provider keys and of "key = value" lines that hold one: never shown, whatever file holds them.
_SECRETS = re.compile(r"(sk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}|AIza[0-9A-Za-z_\-]{30,}|gh[pousr]_[A-Za-z0-9]{30,}"
                      r"|(?i:(?:api[_-]?key|secret|password|token)\s*[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{8,})")


def redact(text: Any) -> str:
    """``text`` with anything shaped like a key replaced by ``[redacted]``."""
    return _SECRETS.sub("[redacted]", "" if text is None else str(text))


def _age(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    return format_duration(max(0.0, float(value)))


def _size(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    size = float(value)
    for unit in ("B", "K", "M", "G"):
        if size < 1024:
            return f"{size:.0f}{unit}"
        size /= 1024
    return f"{size:.0f}T"


def _tokens(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    return f"{value / 1000:.1f}k" if value >= 1000 else str(int(value))


def _percent(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    return f"{value * 100:.0f}%"


class Templates:
    """Renders the package's templates; ``globals`` are given to every template."""

    def __init__(self, **globals: Any) -> None:
        self.env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(age=_age, size=_size, tokens=_tokens, percent=_percent, redact=redact)
        self.env.globals.update(globals)

    def render(self, template: str, /, **context: Any) -> str:
        return self.env.get_template(template).render(**context)
