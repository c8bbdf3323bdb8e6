# Coffer's two entry points: `make run` (a local three-node cluster) and `make test`.
SHELL := /bin/bash
NODE_MODULES := node_modules/.package-lock.json

.PHONY: test deps typecheck lint unit soak bench build run stop clean

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(NODE_MODULES)

# Compiles src/ into dist/ (tsconfig.build.json); bin/coffer.js runs dist/cli/main.js.
build: deps
	npm run build

typecheck: deps
	npm run typecheck

lint: deps
	npm run lint

unit: deps
	npm test

# Everything CI runs: install, typecheck, lint and every test.
test: deps typecheck lint unit

# The long randomised Raft simulation: 100,000 seeded scenarios (SCENARIOS overrides).
soak: deps
	SCENARIOS=$${SCENARIOS:-100000} node --import tsx cluster/soak.ts

bench: deps
	node --import tsx cluster/bench/raft-core.ts

# A local three-node cluster on 127.0.0.1 (DESIGN.md "Local cluster contract"): builds, starts,
# initialises on first use, unseals and joins; again after `make stop`, restarts and unseals it.
run: build
	node --import tsx cluster/local.ts run

stop: deps
	node --import tsx cluster/local.ts stop

clean:
	rm -rf dist
