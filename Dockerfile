# Operator image: slim Python, non-root, runs `airunway-operator run`.
# .ci/run replays the install steps below without Docker (there is no engine on CI machines).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY airunway_operator ./airunway_operator
COPY providers ./providers
RUN pip install --no-cache-dir --upgrade pip \
 && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --uid 65532 --no-create-home --shell /usr/sbin/nologin operator
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 65532:65532
EXPOSE 8080 8081 9443
ENTRYPOINT ["airunway-operator"]
CMD ["run"]
