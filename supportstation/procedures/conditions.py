"""`when:` conditions: a small, safe expression language over parameters, captured variables and earlier steps.

A condition is a Python-like expression (`disk_used >= 90 and not steps.check.passed`) read with `ast` and evaluated
by walking the tree: only comparisons, `and`/`or`/`not`, names, literals, lists and the attributes of `steps.<id>`
(`passed`, `failed`, `skipped`, `exit_code`) are accepted. Nothing is ever handed to `eval`, so a procedure file
cannot run code on the laptop.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from supportstation.i18n import _

STEP_FIELDS = ("passed", "failed", "skipped", "exit_code")

_COMPARISONS: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda left, right: left in right,
    ast.NotIn: lambda left, right: left not in right,
}


class ConditionError(ValueError):
    """A condition that cannot be read, names something unknown, or compares values that cannot be compared."""


@dataclass(frozen=True)
class StepOutcome:
    passed: bool = False
    failed: bool = False
    skipped: bool = False
    exit_code: int | None = None


def parse_condition(text: str) -> ast.expr:
    """The condition's tree, checked to use only what the language allows; ConditionError otherwise."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as error:
        message = _("The condition {text!r} cannot be read: {error}").format(text=text, error=error.msg)
        raise ConditionError(message) from None
    for node in ast.walk(tree):
        allowed = (
            ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.Compare, ast.Name, ast.Load,
            ast.Constant, ast.List, ast.Tuple, ast.Attribute, *_COMPARISONS,
        )  # fmt: skip
        if not isinstance(node, allowed):
            raise ConditionError(
                _("The condition {text!r} uses {kind}, which conditions do not allow.").format(
                    text=text, kind=type(node).__name__
                )
            )
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and not isinstance(node.operand, ast.Constant)
        ):
            raise ConditionError(_("The condition {text!r}: '-' applies to numbers only.").format(text=text))
        if isinstance(node, ast.Attribute):
            _step_reference(node, text)
    return tree


def names_used(tree: ast.expr) -> tuple[set[str], set[str]]:
    """The variables and the step ids a condition refers to (a parsed condition reads `steps` only with dots)."""
    variables = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id != "steps"}
    steps = {
        node.value.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
    }
    return variables, steps


def _step_reference(node: ast.Attribute, text: str) -> tuple[str, str]:
    """`steps.<id>.<field>` as (id, field); ConditionError for any other attribute."""
    inner = node.value
    if (
        isinstance(inner, ast.Attribute)
        and isinstance(inner.value, ast.Name)
        and inner.value.id == "steps"
        and node.attr in STEP_FIELDS
    ):
        return inner.attr, node.attr
    if isinstance(inner, ast.Name) and inner.id == "steps":
        return node.attr, ""  # the inner half of steps.<id>.<field>: checked with its outer node
    raise ConditionError(
        _("The condition {text!r}: only steps.<id>.{fields} can be read with a dot.").format(
            text=text, fields="|".join(STEP_FIELDS)
        )
    )


def evaluate(text: str, variables: Mapping[str, Any], steps: Mapping[str, StepOutcome]) -> bool:
    """Whether the condition holds; ConditionError for an unknown name or values that cannot be compared."""
    tree = parse_condition(text)
    return bool(_value(tree, text, variables, steps))


def _value(node: ast.expr, text: str, variables: Mapping[str, Any], steps: Mapping[str, StepOutcome]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):
        return [_value(item, text, variables, steps) for item in node.elts]
    if isinstance(node, ast.Name):
        if node.id not in variables:
            raise ConditionError(
                _("The condition {text!r} names {name}, which has no value.").format(text=text, name=node.id)
            )
        return variables[node.id]
    if isinstance(node, ast.Attribute):
        step, field = _step_reference(node, text)
        outcome = steps.get(step, StepOutcome(skipped=True))  # a step not run (yet, or its condition was false)
        return getattr(outcome, field)
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, text, variables, steps)
        return (not operand) if isinstance(node.op, ast.Not) else -operand
    if isinstance(node, ast.BoolOp):
        values = (_value(item, text, variables, steps) for item in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare):
        left = _value(node.left, text, variables, steps)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _value(right_node, text, variables, steps)
            left, right = _comparable(left, right)
            try:
                if not _COMPARISONS[type(op)](left, right):
                    return False
            except TypeError:
                raise ConditionError(
                    _("The condition {text!r} compares {left!r} with {right!r}, which cannot be compared.").format(
                        text=text, left=left, right=right
                    )
                ) from None
            left = right
        return True
    raise ConditionError(_("The condition {text!r} cannot be evaluated.").format(text=text))


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    """Captured values are text: "93" compared with 90 is read as the number it writes."""
    for number_side in (0, 1):
        pair = [left, right]
        other = pair[1 - number_side]
        if (
            isinstance(pair[number_side], int | float)
            and not isinstance(pair[number_side], bool)
            and isinstance(other, str)
        ):
            try:
                pair[1 - number_side] = float(other.strip()) if "." in other else int(other.strip())
            except ValueError:
                return left, right
            return pair[0], pair[1]
    return left, right
