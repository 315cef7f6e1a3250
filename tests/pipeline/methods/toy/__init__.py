"""A toy fourth method built from docs/methods/adding.md's file list: Machin's formula,
pi = 16 atan(1/5) - 4 atan(1/239), one chunk per arctangent, in exact fixed point."""
