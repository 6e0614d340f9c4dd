# One image for every service; the command picks which one runs.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY devstack ./devstack
COPY deploy ./deploy
RUN pip install . && useradd --system --uid 10001 pinned
USER pinned

EXPOSE 8080 8081 8082 8083 8084
CMD ["python", "-m", "services.gateway"]
