"""The Leibniz series plus its exact Euler-number tail, in fixed-point integers."""
