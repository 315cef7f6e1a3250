"""Service settings, read from the environment (prefix ``PICHORD_``)."""

from config.settings import ConfigError, Settings, get_settings

__all__ = ["ConfigError", "Settings", "get_settings"]
