# Each target is one obvious command; see README.md.
.PHONY: run test bench lint fmt deps lint-tools fuzz-api

# Build and start Waymark with a private nats-server and the demo blueprint.
run: deps
	WAYMARK_COMMIT=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown) \
		cargo run --release --locked -p cli --bin waymark -- dev

# Every test: unit, golden vectors, end-to-end against real nats-servers, pages in Chromium,
# /metrics and the alert rules through promtool.
test: deps
	./scripts/ensure-chromium
	WAYMARK_PROMTOOL=$$(./scripts/ensure-promtool) cargo test --workspace --locked

# Benchmarks, reported as ratios against a raw baseline measured in the same run.
bench: deps
	cargo bench --locked -p tests --bench append

# Against a private `waymark dev`: a Python client generated from the OpenAPI document records,
# replans and reads a milestone; then Schemathesis, driven by the document, fails on any 5xx or any
# answer the document does not describe. Installs both tools into ~/.cache/waymark.
fuzz-api: deps
	./scripts/fuzz-api

# Formatting, clippy, and dependencies a crate declares but never uses (cargo-machete).
lint: lint-tools
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo machete

# The version of cargo-machete `make lint` runs; installed from crates.io when another or none is found.
MACHETE_VERSION := 0.9.2

lint-tools:
	@cargo machete --version 2>/dev/null | grep -qx '$(MACHETE_VERSION)' \
		|| cargo install --locked cargo-machete --version $(MACHETE_VERSION)

fmt:
	cargo fmt --all

deps:
	./scripts/ensure-nats-server
	./scripts/ensure-assets
