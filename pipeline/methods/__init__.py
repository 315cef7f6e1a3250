"""The registry of ways to compute pi: every method by its name, looked up, never guessed.

A method lives in its own folder (``pipeline/methods/<name>/``) and is listed once below;
the API, the command line, the dashboard and the tasks all ask this registry. A method kept
elsewhere registers itself (``register``) from a module named in PICHORD_METHOD_MODULES,
which the API and the workers import at start (``import_method_modules``).
"""

import importlib
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from pydantic import ValidationError

from config import ConfigError
from pipeline.methods.base import ComputeMethod
from pipeline.methods.leibniz.method import LEIBNIZ
from pipeline.methods.leibniz_cf.method import LEIBNIZ_CF
from pipeline.methods.leibniz_euler.method import LEIBNIZ_EULER

_REGISTERED: dict[str, ComputeMethod] = {
    method.name: method for method in (LEIBNIZ, LEIBNIZ_EULER, LEIBNIZ_CF)
}
METHODS: Mapping[str, ComputeMethod] = MappingProxyType(_REGISTERED)

# What a request without a method gets: the seed's contract.
DEFAULT_METHOD = LEIBNIZ.name


class UnknownMethodError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown method {name!r}; known methods: {', '.join(METHODS)}")
        self.name = name


def method_named(name: str) -> ComputeMethod:
    try:
        return METHODS[name]
    except KeyError:
        raise UnknownMethodError(name) from None


def method_names() -> list[str]:
    return list(METHODS)


class MethodNameTakenError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a method named {name!r} is registered already")


def register(method: ComputeMethod) -> ComputeMethod:
    """Add ``method`` to the registry, under its name."""
    if _REGISTERED.get(method.name, method) is not method:
        raise MethodNameTakenError(method.name)
    _REGISTERED[method.name] = method
    return method


def unregister(name: str) -> None:
    """Remove a registered method (tests undo their registrations)."""
    _REGISTERED.pop(name, None)


def import_method_modules(modules: Iterable[str]) -> None:
    """Import modules that register methods (PICHORD_METHOD_MODULES)."""
    for module in modules:
        importlib.import_module(module)


def read_method_settings() -> None:
    """Read every method's settings now (at start), so that a bad value fails the process
    with the variable it came from rather than the first request that plans a job."""
    for method in METHODS.values():
        try:
            method.settings()
        except ValidationError as exc:
            fields = method.settings_model.model_fields
            problems = []
            for error in exc.errors():
                # A field's error is located by its name, or by the variable it is read from.
                located = str(error["loc"][0]) if error["loc"] else method.name
                name = method.settings_model.variable(located) if located in fields else located
                problems.append(f"{name}: {error['msg']}")
            raise ConfigError(
                f"{'; '.join(problems)} (a setting of method {method.name!r}; fix or unset it)"
            ) from exc
