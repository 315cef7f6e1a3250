"""Each method's own settings: read from its variables, refused at start when bad."""

from pathlib import Path

import pytest

from config import ConfigError, Settings
from pipeline.celery_app import create_celery_app
from pipeline.methods.leibniz.method import LEIBNIZ
from pipeline.methods.leibniz.settings import LeibnizSettings
from pipeline.methods.leibniz_euler.method import LEIBNIZ_EULER
from tests.conftest import MethodEnv


def test_a_setting_keeps_its_variable_name_with_or_without_the_prefix(
    method_env: MethodEnv,
) -> None:
    assert LEIBNIZ.cap_setting == "PICHORD_LEIBNIZ_MAX_DIGITS"
    assert LeibnizSettings.variable("kernel_terms_per_second") == "PICHORD_KERNEL_TERMS_PER_SECOND"
    method_env(PICHORD_KERNEL_TERMS_PER_SECOND="3e9", PICHORD_LEIBNIZ_MAX_DIGITS="7")
    assert LeibnizSettings.current().kernel_terms_per_second == 3e9
    assert LEIBNIZ.max_digits() == 7


@pytest.mark.parametrize(
    ("variable", "value", "method"),
    [
        ("PICHORD_EULER_MAX_DIGITS", "many", LEIBNIZ_EULER.name),
        ("PICHORD_KERNEL_TERMS_PER_SECOND", "-1", LEIBNIZ.name),
    ],
)
def test_a_bad_method_setting_fails_the_start_naming_its_variable(
    method_env: MethodEnv, state_dir: Path, variable: str, value: str, method: str
) -> None:
    method_env(**{variable: value})
    with pytest.raises(ConfigError, match=f"^{variable}: .*method '{method}'; fix or unset it"):
        create_celery_app(Settings(state_dir=state_dir))
