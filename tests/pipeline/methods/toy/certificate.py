"""pi's bracket from the two arctangents, and the digits it fixes."""

from pipeline.digits import format_units


def certified_digits(value: int, error: int, precision: int, digits: int) -> str | None:
    """pi truncated to ``digits`` decimals if every value within ``error`` units agrees."""
    cut = 10 ** (precision - digits)
    if (value - error) // cut != (value + error) // cut:
        return None
    return format_units((value - error) // cut, digits)


def bracket_text(value: int, error: int, precision: int, decimals: int) -> tuple[str, str]:
    """The ends of [value - error, value + error] / 10^P, rounded outward to ``decimals``."""
    cut = 10 ** (precision - decimals)
    return format_units((value - error) // cut, decimals), format_units(
        -(-(value + error) // cut), decimals
    )
