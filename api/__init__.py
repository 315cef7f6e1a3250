"""The HTTP API: job submission and progress, served by FastAPI."""
