"""Plain Leibniz partial sums with a float kernel and a proven error bound."""
