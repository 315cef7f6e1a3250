"""The ways a job can compute pi."""

from enum import StrEnum


class Method(StrEnum):
    # The seed's method: partial sums of the Leibniz series alone (up to ~11 digits).
    LEIBNIZ = "leibniz"
    # The same series plus its exact Euler-number tail: thousands of digits.
    LEIBNIZ_EULER = "leibniz-euler"
