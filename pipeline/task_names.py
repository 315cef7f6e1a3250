"""The registered names of the pipeline's tasks (messages carry these, so they are stable)."""

LANE_TASK = "pichord.lane"
REDUCE_TASK = "pichord.reduce"
CLEANUP_TASK = "pichord.cleanup"

# Messages naming one chunk each, sent before lane tickets: still run after an upgrade.
LEGACY_CHUNK_TASKS = (
    "pichord.chunk",
    "pichord.euler.series",
    "pichord.euler.correction",
    "pichord.cf.series",
    "pichord.cf.fraction",
    "pichord.cf.reference",
)
