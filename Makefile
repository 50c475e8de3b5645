# User-facing commands. Every target installs what it needs, so each works on a fresh clone.
SHELL := /bin/bash
NODE_BIN := node_modules/.bin
HARMONIZER := ./bin/harmonizer
LIMIT ?= 10
PRE ?= 2
POST ?= 3

.PHONY: help install build start serve test test-unit browser-deps pg-deps corpus-deps rl-watch rl-snippets rl-train \
        rl-telemetry bench bench-ingest bench-ingest-pg bench-render bench-train bench-analysis bench-analysis-accuracy bench-learning \
        bench-dashboard clean

help:
	@echo "make start | test | rl-watch | rl-snippets [LIMIT= PRE= POST=] | rl-train | rl-telemetry | bench"

# npm ci only when the lock file is newer than the installed tree.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json

# Server and CLI code compiles with tsc; browser pages are bundled by esbuild into dist/public.
# Only when an input changed: `make rl-*` with nothing changed costs a few stats, not a 3 s compile.
BUILD_INPUTS := $(shell find src bench scripts -type f \( -name '*.ts' -o -name '*.mjs' \)) tsconfig.json package.json
BUILD_STAMP := dist/.built

$(BUILD_STAMP): node_modules/.package-lock.json $(BUILD_INPUTS)
	$(NODE_BIN)/tsc -p tsconfig.json
	node scripts/build-browser.mjs
	@touch $@

build: $(BUILD_STAMP)

# Headless Chromium from Debian for the end-to-end page tests (never a downloaded browser).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's PostgreSQL server for the PostgreSQL store tests (each test file starts a throw-away cluster
# with initdb + pg_ctl in a temp dir; nothing runs as a system service).
pg-deps:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian postgresql for the PostgreSQL store tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# fluidsynth and the FluidR3 General MIDI soundfont from Debian, to render the analysis ground-truth corpus.
corpus-deps:
	@{ command -v fluidsynth >/dev/null 2>&1 && test -f /usr/share/sounds/sf2/FluidR3_GM.sf2; } || { \
	  echo "installing Debian fluidsynth + fluid-soundfont-gm for the analysis corpus"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    fluidsynth fluid-soundfont-gm >/dev/null; }

start: build
	$(HARMONIZER) start

serve: build
	$(HARMONIZER) serve

# The test suites are type-checked too (vitest itself only strips types).
test: build browser-deps pg-deps corpus-deps
	$(NODE_BIN)/tsc -p tsconfig.test.json
	$(NODE_BIN)/vitest run

rl-watch: build
	$(HARMONIZER) watch

rl-snippets: build
	$(HARMONIZER) snippets --limit $(LIMIT) --pre $(PRE) --post $(POST)

rl-train: build
	$(HARMONIZER) train

rl-telemetry: build
	$(HARMONIZER) telemetry

bench: bench-ingest bench-ingest-pg bench-render bench-train bench-analysis bench-analysis-accuracy bench-learning bench-dashboard

bench-ingest: build
	node dist/bench/ingest.js

# One ingest node on SQLite, one on PostgreSQL, two on one PostgreSQL (a throw-away cluster), with the CPU per event.
bench-ingest-pg: build pg-deps
	node dist/bench/ingest-pg.js

bench-render: build
	node dist/bench/render.js

bench-train: build
	node dist/bench/train.js

bench-analysis: build
	node dist/bench/analysis.js

# Beat / tempo / downbeat / jump-phase accuracy on the generated ground-truth corpus (rendered by fluidsynth,
# cached in bench/out/corpus); writes bench/out/analysis-accuracy.{json,md}.
bench-analysis-accuracy: build corpus-deps
	node dist/bench/analysis-accuracy.js

# Seeded simulations against a real server (about 15 minutes): gap closed per taste, DR coverage over
# 20 seeds, learner throughput; writes bench/out/learning.json and docs/regret.png.
bench-learning: build browser-deps
	node dist/bench/learning.js

bench-dashboard: build
	node dist/bench/dashboard.js

clean:
	rm -rf dist
