# Coffer's two entry points: `make run` (a local three-node cluster) and `make test`.
SHELL := /bin/bash
NODE_MODULES := node_modules/.package-lock.json

.PHONY: test deps typecheck lint unit soak bench build clean

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(NODE_MODULES)

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

run:
	@echo "make run arrives with the cluster work (issue: a running three-node cluster)." >&2
	@echo "Today Coffer is the Raft core library only; see README.md." >&2
	@exit 1

clean:
	rm -rf dist
