"""The fields each method adds to the API's certificates and chunks, from its own models.

A certificate or chunk in the API is the shared fields plus the job's method's own; the schema
lists every registered method's, each described with the methods that give it.
"""

from collections.abc import Callable
from typing import Any

from pipeline.methods import METHODS

# The model of a method's own fields: "certificate_model" or "chunk_public_model".
ModelName = str


def _fields(model_name: ModelName) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """Each field's JSON schema (as the first method to declare it has it) and its methods."""
    found: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for method in METHODS.values():
        schema = getattr(method, model_name).model_json_schema()
        for name, prop in schema.get("properties", {}).items():
            found.setdefault(name, (prop, []))[1].append(method.name)
    return found


def field_names(model_name: ModelName) -> list[str]:
    """Every registered method's fields in that model, in registry order. From the models'
    fields, not their schemas: a chunk listing asks once per request, on the polled path."""
    names = (name for m in METHODS.values() for name in getattr(m, model_name).model_fields)
    return list(dict.fromkeys(names))


def schema_of_fields(model_name: ModelName) -> Callable[[dict[str, Any]], None]:
    """A ``json_schema_extra`` adding the methods' fields, optional and described with the
    methods that give them (read when the schema is built, so every registered method counts)."""

    def add(schema: dict[str, Any]) -> None:
        properties = schema.setdefault("properties", {})
        for name, (prop, methods) in _fields(model_name).items():
            named = ", ".join(f"`{method}`" for method in methods)
            text = prop.get("description")
            shown = {key: value for key, value in prop.items() if key not in ("title", "default")}
            properties[name] = {**shown, "description": f"{named}: {text}" if text else named}

    return add
