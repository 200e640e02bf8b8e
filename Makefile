# Two commands set up everything on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CI ?=

.PHONY: all install demo test lint tools clean bench

all: test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Real servers and tools the tests use, from Debian's packages (promtool, prometheus, alertmanager,
# postgresql, iproute2, chromium, etcd-server).
tools: $(STAMP)
	@if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus-alertmanager >/dev/null 2>&1; then \
		echo "installing Debian packages: prometheus prometheus-alertmanager"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus prometheus-alertmanager >/dev/null; \
	fi
	@if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then \
		echo "installing Debian package: postgresql (the data-plane tests start their own server)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "installing Debian package: chromium (the incident report is checked in a headless browser)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@if ! command -v ip >/dev/null 2>&1; then \
		echo "installing Debian package: iproute2 (the partition tests make network namespaces)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null; \
	fi
	@if ! command -v etcd >/dev/null 2>&1; then \
		echo "installing Debian package: etcd-server (the HA tests start their own etcd)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null; \
	fi
	$(BIN)/python deploy/tools/install_helm.py $(BIN)  # helm (and kubectl if absent) for the deploy tests

demo: $(STAMP)
	$(BIN)/dr-watchdog demo

test: $(STAMP) tools
	$(BIN)/ruff check watchdog tests benchmarks
	$(BIN)/ruff format --check watchdog tests benchmarks
	$(BIN)/mypy
	HOME=$$(mktemp -d) $(BIN)/pytest

# Speed and scale, measured from outside the daemon (figures: benchmarks/RESULTS.md); not part of `test`.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks.scale --pairs 100 1000 5000 --interval 10 --rounds 3
	$(BIN)/python -m benchmarks.scale --pairs 5000 --projects 50 --interval 10 --rounds 3
	$(BIN)/python -m benchmarks.render --pairs 5000 --rounds 5
	$(BIN)/python -m benchmarks.lists --pairs 5000
	$(BIN)/python -m benchmarks.round --layout many-projects --projects 50 --pairs 5000 --rounds 5
	$(BIN)/python -m benchmarks.reaction --pairs 200 --seed 1
	$(BIN)/python -m benchmarks.soak --pairs 1000 --hours 10 --seed 1

lint: $(STAMP)
	$(BIN)/ruff check watchdog tests benchmarks
	$(BIN)/ruff format --check watchdog tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
