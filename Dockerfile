# One image for the demo service, the fake upstream and Locust; docker-compose.yml picks the command.
#   docker build -t asyncgap .
# Any base with CPython >= 3.11 and its venv module works (--build-arg BASE_IMAGE=...).
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
# The pinned lock, plus a wheelhouse of the same pins if the build context has one (.wheelhouse/,
# for builds that cannot reach the package index; the glob matches nothing otherwise).
# Binary wheels only: no compiler is needed, and none reaches the final stage.
COPY requirements.txt .wheelhous[e] /tmp/install/
RUN set -eu; \
    offline=""; \
    if ls /tmp/install/*.whl >/dev/null 2>&1; then offline="--no-index --find-links=/tmp/install"; fi; \
    python3 -m venv /opt/venv; \
    /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --only-binary=:all: \
        $offline -r /tmp/install/requirements.txt; \
    /opt/venv/bin/pip uninstall --yes --quiet pip setuptools

FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title=asyncgap \
      org.opencontainers.image.description="asyncgap: the demo FastAPI service, its fake upstream and Locust"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LANG=C.UTF-8
RUN groupadd --system --gid 10001 asyncgap \
 && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/asyncgap asyncgap
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY matrix.toml ./
COPY asyncgap/ asyncgap/
COPY service/ service/
COPY locustfiles/ locustfiles/
COPY scripts/compose-postgres.sh scripts/
# var/ holds the SQLite file, results/ Locust's reports: both writable by the app's user.
RUN mkdir var results && chown asyncgap:asyncgap var results
USER asyncgap
CMD ["python", "-m", "service.serve", "uvicorn-1w", "--host", "0.0.0.0"]
