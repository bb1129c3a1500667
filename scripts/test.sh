#!/usr/bin/env bash
# `npm test`: installs what the tests need, builds the islands, runs every Deno test in the repo
# (unit tests beside their modules and the suites in tests/), and ends with one summary line:
# `N passed, N failed[, N skipped]`. The exit code is deno test's.
# Extra arguments go to `deno test` (e.g. `npm test -- tests/auth_test.ts --filter signin`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Debian packages the tests use.
TEST_DEBIAN_PACKAGES=(chromium janus janus-tools iputils-ping espeak-ng sox sip-tester baresip ffmpeg fonts-dejavu-core)

bash scripts/setup.sh "${TEST_DEBIAN_PACKAGES[@]}"

DENO="$ROOT/node_modules/.bin/deno"
export DENO_NO_UPDATE_CHECK=1
export TALKSPACE_LOG=quiet

mkdir -p test-results
LOG="test-results/deno-test.log"
printf 'test: running deno test -A %s (full output also in %s)\n' "$*" "$LOG"

set +e
"$DENO" test -A "$@" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e

# The summary line is printed by a script that needs no permissions beyond reading the log.
if ! "$DENO" run --no-lock --allow-read="$LOG" scripts/test_summary.ts "$LOG" "$status"; then
  printf 'test: scripts/test_summary.ts could not read the results\n0 passed, 1 failed\n'
  ((status != 0)) || status=1
fi
exit "$status"
