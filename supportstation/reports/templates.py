"""Jinja2 templates for reports and their e-mails, in French and English, which a company can override.

A template set is a folder with one sub-folder per language (`fr/`, `en/`) holding `report.html.j2`,
`mail_subject.txt.j2` and `mail_body.txt.j2`. The shipped set lives in `resources/report_templates/`. In the config
folder, `report_templates/default/` overrides the shipped files one by one, and `report_templates/NAME/` is another set
chosen with `--template NAME`; a file a set lacks comes from the shipped set, which an override can also extend as
`shipped/report.html.j2`.

Templates come from the company's folder, not from us: they run sandboxed, and one that fails (a syntax error, a
missing variable, a crash) is reported with its file and line while the shipped template is used instead, so a report
can always be produced.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportstation import paths
from supportstation.i18n import _

REPORT = "report.html.j2"
MAIL_SUBJECT = "mail_subject.txt.j2"
MAIL_BODY = "mail_body.txt.j2"
DEFAULT_SET = "default"
LANGUAGES = ("fr", "en")

log = logging.getLogger(__name__)


class TemplateSetError(Exception):
    """The template set asked for does not exist; the message lists the ones that do."""


@dataclass(frozen=True)
class Rendered:
    text: str
    # Empty when the chosen template rendered; otherwise why the shipped one was used instead (file, line, error).
    problem: str = ""


def shipped_folder() -> Path:
    return paths.resources() / "report_templates"


def override_folder(config: Path) -> Path:
    return config / "report_templates"


class ReportTemplates:
    """Finds and renders the templates of one set, in one language."""

    def __init__(self, config: Path | None, name: str = DEFAULT_SET, language: str = "fr") -> None:
        if language not in LANGUAGES:
            raise TemplateSetError(
                _("Reports exist in French (fr) and English (en), not in {language}.").format(language=language)
            )
        self.name = name or DEFAULT_SET
        self.language = language
        self._own = override_folder(config) / self.name / language if config else None
        if self.name != DEFAULT_SET and (self._own is None or not self._own.parent.is_dir()):
            known = ", ".join(available_sets(config))
            raise TemplateSetError(
                _("There is no report template set named {name} (known: {known}).").format(name=self.name, known=known)
            )
        self._shipped = shipped_folder() / language

    def render(
        self, file_name: str, context: dict[str, Any], filters: dict[str, Callable[..., Any]] | None = None
    ) -> Rendered:
        own_file = self._own / file_name if self._own else None
        if own_file is not None and own_file.is_file():
            try:
                environment = self._environment(own=True, file_name=file_name, filters=filters)
                return Rendered(environment.get_template(file_name).render(context))
            except Exception as error:  # a company template may fail in any way; the report must still be made
                problem = _describe(error, own_file)
                log.warning("%s", problem)
                return Rendered(self._render_shipped(file_name, context, filters), problem)
        return Rendered(self._render_shipped(file_name, context, filters))

    def _render_shipped(
        self, file_name: str, context: dict[str, Any], filters: dict[str, Callable[..., Any]] | None
    ) -> str:
        environment = self._environment(own=False, file_name=file_name, filters=filters)
        return environment.get_template(file_name).render(context)

    def _environment(self, *, own: bool, file_name: str, filters: dict[str, Callable[..., Any]] | None) -> Any:
        from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        shipped = FileSystemLoader(self._shipped)
        # `common/` holds the layout both languages extend; `shipped/` lets an override extend the file it replaces.
        loaders: list[Any] = [
            PrefixLoader({"shipped": shipped, "common": FileSystemLoader(shipped_folder() / "common")})
        ]
        if own and self._own is not None:
            loaders.insert(0, FileSystemLoader(self._own))
        loaders.append(shipped)
        environment = SandboxedEnvironment(
            loader=ChoiceLoader(loaders),
            autoescape=file_name.endswith(".html.j2"),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        environment.filters.update(filters or {})
        return environment


def available_sets(config: Path | None) -> list[str]:
    names = {DEFAULT_SET}
    folder = override_folder(config) if config else None
    if folder is not None and folder.is_dir():
        names.update(child.name for child in folder.iterdir() if child.is_dir())
    return sorted(names)


def _describe(error: Exception, file: Path) -> str:
    line = getattr(error, "lineno", None)
    if line is None:
        # A runtime error: Jinja rewrites the traceback so the template's own frames carry its file and line.
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            if frame.filename == str(file):
                line = frame.lineno
                break
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    if line:
        return _(
            "The report template {file} has an error at line {line}: {message}. The standard template was used."
        ).format(file=file, line=line, message=message)
    return _("The report template {file} has an error: {message}. The standard template was used.").format(
        file=file, message=message
    )
