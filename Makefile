# airunway-operator — developer entry points (kubebuilder conventions).
# `make demo` and `make test` are the two commands a newcomer needs (see README.md).

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
TESTENV := $(CURDIR)/.testenv
# Default to the local plane so nothing here ever touches another cluster by accident.
KUBECONFIG ?= $(TESTENV)/kubeconfig
export KUBECONFIG
IMG ?= airunway-operator:dev
HELM ?= $(shell . tests/controlplane/versions.env && echo $${XDG_CACHE_HOME:-$$HOME/.cache}/airunway-testenv/helm-$$HELM/helm)
CHART := charts/airunway-operator
KIND_CLUSTER ?= airunway
RELEASE ?= airunway
# kind's own kubeconfig: the exported KUBECONFIG above is the local plane's.
KIND_KUBECONFIG ?= $(HOME)/.kube/config

.PHONY: help
help: ## list targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

.PHONY: venv
venv: $(VENV)/.installed ## create .venv with the operator and dev tools

# Web UI (ui/, TypeScript + React): bundled into airunway_backend/static, which the backend serves.
# The backend runs without it and then answers `/` with a page that says to run `make ui`.
.PHONY: ui
ui: ## build the web UI into airunway_backend/static (npm ci + esbuild)
	cd ui && npm ci --no-audit --no-fund && npm run build

.PHONY: ui-check
ui-check: ## the web UI's tsc --noEmit and its unit tests (node --test)
	cd ui && npm ci --no-audit --no-fund && npm run typecheck && npm test

.PHONY: test-browser
test-browser: venv ui testenv-build ## Playwright + system Chromium through the UI on the local plane (screenshots in .artifacts/)
	$(PY) -m pytest tests/browser $(PYTEST_ARGS)

.PHONY: fmt
fmt: venv ## format the code
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

.PHONY: lint
lint: venv ## ruff, format check and import-layer contracts
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

.PHONY: typecheck
typecheck: venv ## mypy --strict
	$(PY) -m mypy

.PHONY: manifests
manifests: venv ## regenerate crds/ (and the chart's and config/crd/ copies), RBAC, config/webhook/, config/providers/
	$(PY) -m airunway_operator.api.crdgen
	$(PY) -m airunway_operator.deploy.chartcrds
	$(PY) -m airunway_operator.deploy.rbac
	$(PY) -m airunway_operator.admission.configuration
	$(PY) -m providers.manifests

# Benchmarks print figures (docs/performance.md); each starts or reuses the local plane (it follows
# AIRUNWAY_TESTENV_DIR / AIRUNWAY_TESTENV_PORT_OFFSET) and runs its own operator process.
# BENCH_ARGS passes options on, e.g. `make bench-burst BENCH_ARGS='--count 100'`.
BENCH_ARGS ?=

.PHONY: bench
bench: bench-apply bench-webhook bench-burst ## the default benchmark set: apply, webhook and burst (not scale)

.PHONY: bench-apply
bench-apply: venv testenv-build ## apply -> Deployment latency at 5 creates/s (p50/p99), requests per object, idle
	$(PY) -m benchmarks.apply_latency --count 100 --rate 5 --idle 30 $(BENCH_ARGS)

.PHONY: bench-webhook
bench-webhook: venv testenv-build ## admission webhook latency at 100 requests/s (direct and through the API server)
	$(PY) -m benchmarks.webhook_latency $(BENCH_ARGS)

.PHONY: bench-burst
bench-burst: venv testenv-build ## 300 ModelDeployments at once: time to Deployments/Running, CPU, requests per object
	$(PY) -m benchmarks.burst $(BENCH_ARGS)

.PHONY: bench-scale
bench-scale: venv testenv-build ## 1,000 ModelDeployments: RSS, CPU, requests per object, idle requests/min and CPU
	$(PY) -m benchmarks.scale $(BENCH_ARGS)

.PHONY: testenv-build
testenv-build: ## build or reuse the cached etcd, kube-*, kwok and helm binaries
	tests/controlplane/build.sh all

.PHONY: cluster-up
cluster-up: venv testenv-build ## start (or reuse) the local control plane with kwok GPU nodes
	$(PY) -m tests.controlplane up

.PHONY: cluster-down
cluster-down: venv ## stop the local control plane and delete its data
	$(PY) -m tests.controlplane down

.PHONY: install
install: venv ## install our CRDs and the vendored third-party CRDs into $$KUBECONFIG's cluster
	$(PY) -m tests.controlplane install

.PHONY: run
run: venv ## run the operator in the foreground against $$KUBECONFIG (webhook on https://127.0.0.1:9443)
	AIRUNWAY_VLLM_IMAGE_RESOLUTION=$${AIRUNWAY_VLLM_IMAGE_RESOLUTION:-off} $(VENV)/bin/airunway-operator run --register-webhook

# The backend keeps its settings ConfigMap here; the demo namespace exists on the local plane.
BACKEND_NAMESPACE ?= airunway-demo

.PHONY: backend
backend: venv ## run the backend API + UI in the foreground against $$KUBECONFIG, auth off (http://127.0.0.1:8080/)
	AIRUNWAY_BACKEND_AUTH=false AIRUNWAY_BACKEND_NAMESPACE=$${AIRUNWAY_BACKEND_NAMESPACE:-$(BACKEND_NAMESPACE)} \
		$(VENV)/bin/airunway-backend --host 127.0.0.1 --port 8080

.PHONY: demo
# The backend takes 8080, so the demo's operator serves its metrics on 8082.
demo: cluster-up install $(if $(shell command -v npm),ui) ## local plane + CRDs + providers + samples, the backend + UI in the background, then the operator
	$(PY) -m tests.controlplane demo
	@mkdir -p $(TESTENV)
	@AIRUNWAY_BACKEND_AUTH=false AIRUNWAY_BACKEND_NAMESPACE=$${AIRUNWAY_BACKEND_NAMESPACE:-$(BACKEND_NAMESPACE)} \
		$(VENV)/bin/airunway-backend --host 127.0.0.1 --port 8080 >$(TESTENV)/backend.log 2>&1 & backend=$$!; \
	trap 'kill $$backend 2>/dev/null' EXIT; \
	echo "UI: http://127.0.0.1:8080/   (backend log: $(TESTENV)/backend.log; auth off, local demo only)"; \
	AIRUNWAY_METRICS_PORT=$${AIRUNWAY_METRICS_PORT:-8082} \
	AIRUNWAY_VLLM_IMAGE_RESOLUTION=$${AIRUNWAY_VLLM_IMAGE_RESOLUTION:-off} $(VENV)/bin/airunway-operator run --register-webhook

.PHONY: test-unit
test-unit: venv ## pure unit and schema tests (no cluster)
	$(PY) -m pytest -m 'not cluster' $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then rc=0; fi; exit $$rc

.PHONY: test
test: venv lint typecheck testenv-build ui ## everything: lint, types, unit, then integration on the local plane
	@# pytest exits 5 when a selection collects no test; that is not a failure of the suite.
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; exit $$rc

.PHONY: image
image: ## build the container image (needs a Docker engine)
	docker build -t $(IMG) .

.PHONY: helm
helm: ## build or reuse the cached helm binary
	tests/controlplane/build.sh helm

.PHONY: helm-lint
helm-lint: helm ## helm lint the chart (strict)
	$(HELM) lint --strict $(CHART)

.PHONY: chart
chart: venv helm ## regenerate the chart's CRDs and Chart.yaml, lint, and package it into dist/
	$(PY) -m airunway_operator.deploy.chartcrds
	$(HELM) lint --strict $(CHART)
	$(HELM) package $(CHART) --destination dist

# kind (needs Docker and kind; not used by the tests): a throw-away cluster running the image.
.PHONY: kind-up
kind-up: ## create a kind cluster named $$KIND_CLUSTER (Docker + kind)
	kind create cluster --name $(KIND_CLUSTER) --kubeconfig $(KIND_KUBECONFIG)

.PHONY: kind-deploy
kind-deploy: helm ## build the image, load it into kind and helm upgrade --install the chart
	docker build -t $(IMG) .
	kind load docker-image $(IMG) --name $(KIND_CLUSTER)
	$(HELM) upgrade --install $(RELEASE) $(CHART) \
		--kubeconfig $(KIND_KUBECONFIG) --kube-context kind-$(KIND_CLUSTER) \
		--namespace airunway-system --create-namespace --wait \
		--set image.repository=$(firstword $(subst :, ,$(IMG))) --set image.tag=$(lastword $(subst :, ,$(IMG))) \
		--set image.pullPolicy=Never

.PHONY: clean
clean: cluster-down ## stop the plane and remove local state
	rm -rf $(TESTENV) .pytest_cache .mypy_cache .ruff_cache
