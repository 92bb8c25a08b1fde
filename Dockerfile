# syntax=docker/dockerfile:1
# Operator image: slim Python, non-root (65532), runs `airunway-operator run` (the same image runs the backend
# and web UI as `airunway-backend`); fits readOnlyRootFilesystem
# (nothing is written outside /tmp). Build: docs/gitops.md. .ci/run replays these steps without Docker.
#
# The bases are pinned by their full version tags. For a byte-for-byte reproducible build pin them by
# digest too:
#   docker build --build-arg BASE_IMAGE=python:3.11.13-slim-bookworm@sha256:<digest> \
#                --build-arg NODE_IMAGE=node:22.12.0-bookworm-slim@sha256:<digest> .
ARG BASE_IMAGE=python:3.11.13-slim-bookworm
# The web UI is only built here (its bundle ends up in the wheel); no Node.js in the runtime image.
ARG NODE_IMAGE=node:22.12.0-bookworm-slim

# Stage 0: bundle the web UI (ui/) into airunway_backend/static from the committed package-lock.json.
FROM ${NODE_IMAGE} AS ui
WORKDIR /src/ui
COPY ui/package.json ui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY ui/ ./
RUN npm run build

# Stage 1: build the wheel (operator, providers, backend with the UI bundle) and the wheels of every
# dependency it resolves to.
FROM ${BASE_IMAGE} AS build
ARG SOURCE_DATE_EPOCH=0
ENV SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH} \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY airunway_operator ./airunway_operator
COPY providers ./providers
COPY airunway_backend ./airunway_backend
COPY --from=ui /src/airunway_backend/static ./airunway_backend/static
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Stage 2: install exactly those wheels, offline, into the runtime image.
FROM ${BASE_IMAGE}
ARG BASE_IMAGE
ARG SOURCE_DATE_EPOCH=0
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="airunway-operator" \
      org.opencontainers.image.description="Kubernetes operator serving LLMs across inference runtimes (airunway.ai/v1alpha1)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
# SOURCE_DATE_EPOCH makes the compiled .pyc files hash-based, so they do not depend on the build time.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH} \
    pip install --no-cache-dir --disable-pip-version-check --no-index --find-links /wheels airunway-operator
ENV HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /tmp
USER 65532:65532
EXPOSE 8080 8081 9443
ENTRYPOINT ["airunway-operator"]
CMD ["run"]
