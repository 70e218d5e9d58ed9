# Zhaoshang — the commands of the README. `make help` lists them.
SHELL := /bin/bash
CARGO ?= cargo
DB_FILE ?= zhaoshang.db
TEST_THREADS ?= 8

.PHONY: help run build test test-only lint openapi fmt clean-db fault bench fuzz-api

help:
	@echo "make run       build, migrate the SQLite file, seed demo data on first start, serve (Swagger UI at /docs/)"
	@echo "make test      lint + every test on SQLite and PostgreSQL + OpenAPI drift check"
	@echo "make test-only the tests without lint"
	@echo "make lint      rustfmt check, clippy -D warnings, domain crate free of diesel/actix"
	@echo "make openapi   rewrite openapi/openapi.json from the code"
	@echo "make bench     load benchmark: 1M projects on PostgreSQL, wrk + pgbench; SQLite writes (see BENCHMARKS.md)"
	@echo "make fuzz-api  schemathesis against the running server with demo data (BACKEND=sqlite|postgres)"
	@echo "make fault     database faults under write load (throwaway PostgreSQL cluster; SQLite lock and kill)"

build:
	$(CARGO) build -p zhaoshang

# Seeds demo data only when the default SQLite file does not exist yet; `serve` itself never seeds.
run: build
	@if [ ! -f "$(DB_FILE)" ]; then ./target/debug/zhaoshang --database-url "sqlite://$(DB_FILE)" seed --demo; fi
	ZS_DATABASE_URL="sqlite://$(DB_FILE)" ./target/debug/zhaoshang serve

test: lint test-only

# Runs every test on SQLite and PostgreSQL (see scripts/test.sh for how PostgreSQL is found).
test-only:
	TEST_THREADS=$(TEST_THREADS) ./scripts/test.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	@bad=$$($(CARGO) tree -p zs-domain -e normal --prefix none | awk '{print $$1}' | grep -E '^(diesel|diesel_migrations|actix-web|actix-http|tokio)$$' || true); \
	if [ -n "$$bad" ]; then echo "zs-domain must not depend on: $$bad"; exit 1; fi; \
	echo "zs-domain depends on neither diesel nor actix-web"

openapi:
	UPDATE_OPENAPI=1 $(CARGO) test -p zs-tests --test api committed_openapi_matches_the_code
	@echo "openapi/openapi.json rewritten"

# Schemathesis (PyPI, installed into target/fuzz-venv) with all its checks against a fresh
# database with demo data; see scripts/fuzz.sh. Not yet part of `make test` (see README).
fuzz-api: build
	./scripts/fuzz.sh

# Stops and restarts a throwaway PostgreSQL cluster under write load, then locks and kills on
# SQLite; checks that no acknowledged write is lost or doubled (see scripts/fault.py).
fault: build
	python3 scripts/fault.py

# Release server on PostgreSQL with 1M projects, measured with wrk and compared with pgbench.
bench:
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(CARGO) build --release -p zhaoshang
	python3 scripts/bench.py

fmt:
	$(CARGO) fmt --all

clean-db:
	rm -f "$(DB_FILE)" "$(DB_FILE)-wal" "$(DB_FILE)-shm"
