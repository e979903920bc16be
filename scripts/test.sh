#!/usr/bin/env bash
# The whole test suite: installs what is missing, then runs `swift test`
# (XCTest and Swift Testing together; never --parallel, so the log keeps the
# summary lines).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

swift test
