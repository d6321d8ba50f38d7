#!/usr/bin/env bash
# Every test, from a fresh Debian machine: system packages, npm packages,
# build, fixtures, then node's test runner. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-machine.sh
npm ci --no-audit --no-fund
npm test
