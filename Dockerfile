# One image, three roles (PICHORD_ROLE): all (API, worker and beat under supervisord), worker, api.
# The base is an argument only so the containers test can also build on Debian's own Python
# layout (tests/ops/test_containers.py); the default is the pinned official image.
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PICHORD_ROLE=all \
    PICHORD_STATE_DIR=/var/lib/pichord \
    PICHORD_API_HOST=0.0.0.0 \
    PICHORD_SUPERVISOR_BIND=0.0.0.0 \
    PICHORD_LOG_TO_STDOUT=true \
    NUMBA_CACHE_DIR=/tmp/numba-cache

WORKDIR /app
RUN groupadd --system --gid 10001 pichord \
    && useradd --system --uid 10001 --gid pichord --home-dir /app --shell /usr/sbin/nologin pichord

# Dependencies in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY README.md ./
COPY api ./api
COPY pipeline ./pipeline
COPY storage ./storage
COPY config ./config
COPY ops ./ops
RUN pip install --no-deps --editable . \
    && mkdir -p /var/lib/pichord \
    && chown 10001:10001 /var/lib/pichord

USER 10001:10001
VOLUME ["/var/lib/pichord"]
EXPOSE 8000 9001
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "config.healthcheck"]
CMD ["python", "-m", "config.supervisord"]
