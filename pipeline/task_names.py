"""The registered names of the pipeline's tasks (messages carry these, so they are stable)."""

CHUNK_TASK = "pichord.chunk"
EULER_SERIES_TASK = "pichord.euler.series"
EULER_CORRECTION_TASK = "pichord.euler.correction"
CF_SERIES_TASK = "pichord.cf.series"
CF_FRACTION_TASK = "pichord.cf.fraction"
REDUCE_TASK = "pichord.reduce"
CLEANUP_TASK = "pichord.cleanup"
