"""A method's own settings: its digit cap and its tuning, read from the environment under the
method's own prefix (``PICHORD_EULER_...``), as ``config.Settings`` reads the service's.

``config`` imports nothing of ours, so each method declares its settings in its own folder;
like ``config.get_settings()`` they are read once per process (``current()``), and tests
change them through the environment and ``forget_read_settings()``.
"""

from typing import Self

from pydantic_settings import BaseSettings, SettingsConfigDict

_read: dict[type["MethodSettings"], "MethodSettings"] = {}


class MethodSettings(BaseSettings):
    # Subclasses set env_prefix; the service's own variables are not theirs to refuse.
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    #: The most digits a client may ask the method for.
    max_digits: int

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable that sets ``field``: its own name, if it has one."""
        alias = cls.model_fields[field].validation_alias
        if isinstance(alias, str):
            return alias.upper()
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()

    @classmethod
    def variables(cls) -> list[str]:
        return [cls.variable(field) for field in cls.model_fields]

    @classmethod
    def current(cls) -> Self:
        """This process's settings, read from the environment on first use."""
        found = _read.get(cls)
        if found is None:
            # The fields come from the environment, which mypy cannot see.
            found = _read[cls] = cls()  # type: ignore[call-arg]
        assert isinstance(found, cls)
        return found


def forget_read_settings() -> None:
    """Read every method's settings from the environment again on next use."""
    _read.clear()
