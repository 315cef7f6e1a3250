"""Certified digits of pi from a Leibniz partial sum and the continued fraction of its tail."""
