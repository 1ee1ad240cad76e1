"""Small helpers shared by the definition models: short value echoes and clean errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from pydantic import ValidatorFunctionWrapHandler
from pydantic_core import PydanticCustomError

from governance_desktop.domain.enums import PolicyStatus

MAX_ECHO = 40
CUSTOM_ERROR = "governance"


def short_repr(value: object, limit: int = MAX_ECHO) -> str:
    """``repr`` of ``value`` on one line, cut to about ``limit`` characters."""
    if isinstance(value, str):
        if len(value) <= limit and len(repr(value)) <= limit:
            return repr(value)
        # Cut the string, not its repr: a cut repr can end inside an escape, with no quote.
        keep = min(len(value), limit - 3)
        while keep > 0 and len(repr(value[:keep])) > limit - 1:
            keep -= 1
        return repr(value[:keep]) + "…"
    try:
        text = repr(value)
    except ValueError:  # an integer too long for Python to print (over 4300 digits)
        return "a number with more than 4300 digits"
    if len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def json_type_name(value: object) -> str:
    """How a JSON reader would name the type of ``value`` (``a string``, ``an object``...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def fail(message: str) -> PydanticCustomError:
    """An error pydantic reports with exactly ``message`` (no prefix, no formatting)."""
    return PydanticCustomError(CUSTOM_ERROR, "{msg}", {"msg": message})


def one_of(values: Iterable[str]) -> str:
    """``a, b, c``: a list of allowed names for a message."""
    return ", ".join(values)


def enum_validator(
    describe: Callable[[object], str],
) -> Callable[[Any, ValidatorFunctionWrapHandler], Any]:
    """A wrap validator that replaces pydantic's enum error with ``describe(value)``."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except PydanticValidationError:
            raise fail(describe(value)) from None

    return validate


def bad_status_message(value: object) -> str:
    """The message for a value that is not a policy status."""
    return f"{short_repr(value)} is not a status (expected one of: {one_of(PolicyStatus)})"
