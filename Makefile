# ClinicDesk — the two commands the README promises, and their parts.
#   make run    start the desk app on the embedded default (demo clinic loaded on first start)
#   make test   run every test: UI type check and unit tests, all Rust crates
#   make server start the central server on the embedded default (demo chain loaded on first start)
.PHONY: run test ui bench bindings server

ui/node_modules: ui/package-lock.json
	npm --prefix ui ci --no-audit --no-fund
	touch ui/node_modules

ui: ui/node_modules
	npm --prefix ui run build

run: ui
	cargo run --release --bin clinicdesk

server:
	cargo run --release -p clinicdesk-server

test: ui
	npm --prefix ui run check
	npm --prefix ui test
	# keyctl: a session keyring for the keychain tests, as a desktop session has.
	xvfb-run -a -s "-screen 0 1920x1080x24" keyctl session - cargo test --workspace

bench: ui
	cargo run --release -p clinicdesk-bench --bin clinicdesk-bench
	cargo build --release --bin clinicdesk
	xvfb-run -a -s "-screen 0 1920x1080x24" cargo run --release -p clinicdesk-bench --bin window-bench

# Regenerate ui/src/bindings from the Rust DTOs (CI fails when they drift).
bindings:
	UPDATE_BINDINGS=1 cargo test --test bindings
