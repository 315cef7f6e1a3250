"""The registry of ways to compute pi: every method by its name, looked up, never guessed.

A method lives in its own folder (``pipeline/methods/<name>/``) and is listed once below;
the API, the command line, the dashboard and the tasks all ask this registry.
"""

from collections.abc import Mapping

from pipeline.methods.base import ComputeMethod
from pipeline.methods.leibniz.method import LEIBNIZ
from pipeline.methods.leibniz_cf.method import LEIBNIZ_CF
from pipeline.methods.leibniz_euler.method import LEIBNIZ_EULER

METHODS: Mapping[str, ComputeMethod] = {
    method.name: method for method in (LEIBNIZ, LEIBNIZ_EULER, LEIBNIZ_CF)
}

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
