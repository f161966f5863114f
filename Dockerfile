# syntax=docker/dockerfile:1

# Build: a virtual environment with the pinned dependencies and the service installed into it.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
WORKDIR /app
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
# Editable, so the code, alembic.ini and migrations/ stay together under /app as the service
# expects; the link points at /app, which the runtime stage copies as it is.
RUN /opt/venv/bin/pip install -c constraints.txt -e .

# Runtime: no build tools, a non-root user, migrations then uvicorn.
FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CAUCUS_ENVIRONMENT=production \
    CAUCUS_DATABASE_URL=sqlite:////data/caucus.db \
    CAUCUS_LOG_FORMAT=json
RUN groupadd --system --gid 10001 caucus \
    && useradd --system --uid 10001 --gid caucus --home-dir /app --shell /usr/sbin/nologin caucus \
    && mkdir /data && chown caucus:caucus /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
USER caucus
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["sh", "-c", "caucus db upgrade && caucus load-reference && exec caucus serve --host 0.0.0.0 --port 8000"]
