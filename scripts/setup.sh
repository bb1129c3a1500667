#!/usr/bin/env bash
# Shared set-up for `npm start` and `npm test`: npm packages (Deno comes from npm), the Debian
# packages named on the command line, and the island bundles.
#
# Usage: bash scripts/setup.sh [DEBIAN_PACKAGE...]
#   Installs node_modules with `npm ci` when it is missing or older than package.json,
#   package-lock.json or packages/*.tgz; as root, installs the missing Debian packages with apt-get
#   (one `apt-get update` first); otherwise says what will be skipped. Then builds the islands.
# Environment: TALKSPACE_SKIP_ISLANDS=1 skips the island build (scripts that build them later).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf 'setup: %s\n' "$*"; }
die() {
  printf 'setup: error: %s\n' "$*" >&2
  exit 1
}

# --- npm packages ------------------------------------------------------------------------------

command -v node >/dev/null 2>&1 || die "Node.js is not installed (Talkspace needs Node 20+ with npm to install its packages, Deno included)"
command -v npm >/dev/null 2>&1 || die "npm is not installed (it comes with Node.js)"

STAMP="node_modules/.talkspace-installed"

# True when node_modules must be (re)installed. A checkout installed before this script existed has
# npm's own node_modules/.package-lock.json, which serves as the stamp until the next install.
needs_npm_install() {
  [[ -x node_modules/.bin/deno ]] || return 0
  local ref="$STAMP"
  [[ -e "$ref" ]] || ref="node_modules/.package-lock.json"
  [[ -e "$ref" ]] || return 0
  local f
  for f in package.json package-lock.json packages/*.tgz; do
    [[ -e "$f" && "$f" -nt "$ref" ]] && return 0
  done
  return 1
}

if needs_npm_install; then
  # `npm ci` installs exactly package-lock.json and never rewrites it, so the checkout stays clean.
  # The lockfile lists every platform's optional deno binary; a refusal means it is out of date.
  npm_log="$(mktemp)"
  trap 'rm -f "$npm_log"' EXIT
  say "installing npm packages (npm ci; a minute or two the first time)…"
  if npm ci --no-audit --no-fund >"$npm_log" 2>&1; then
    grep -v 'Unknown \(user\|env\) config "nodedir"\|install-scripts' "$npm_log" || true
  else
    cat "$npm_log" >&2
    die "npm ci failed (see above); if it says the lockfile is out of sync, run 'npm install' and commit package-lock.json"
  fi
  touch "$STAMP"
else
  say "npm packages are up to date"
fi

DENO="$ROOT/node_modules/.bin/deno"
[[ -x "$DENO" ]] || die "node_modules/.bin/deno is missing after the install; remove node_modules and try again"
DENO_VERSION="$("$DENO" --version 2>&1 | head -n 1)" || die "node_modules/.bin/deno does not run: $DENO_VERSION"
say "using $DENO_VERSION"

# --- Debian packages ---------------------------------------------------------------------------

# What a person loses when a Debian package cannot be installed.
purpose_of() {
  case "$1" in
    chromium) echo "browser tests will be skipped" ;;
    janus) echo "meeting media (Janus) tests will be skipped" ;;
    sip-tester) echo "SIP tests that use sipp will be skipped" ;;
    baresip) echo "SIP tests that use baresip will be skipped" ;;
    ffmpeg) echo "H.264-only room systems will not see the speaker, and the room-system video test will be skipped" ;;
    janus-tools) echo "recordings will stay unprocessed (no janus-pp-rec), and the recording tests will be skipped" ;;
    fonts-dejavu-core) echo "recordings will have no names on the tiles" ;;
    espeak-ng | sox) echo "the phone menu will have no spoken prompts, and the tests that need them will be skipped" ;;
    *) echo "whatever needs it will be skipped" ;;
  esac
}

is_installed() {
  case "$1" in
    chromium) [[ -x /usr/bin/chromium ]] ;;
    *) [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]] ;;
  esac
}

missing=()
for pkg in "$@"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]})); then
  if [[ "$(id -u)" -ne 0 ]]; then
    for pkg in "${missing[@]}"; do
      say "Debian package '$pkg' is not installed and only root can install it: $(purpose_of "$pkg") (run as root, or: sudo apt-get install $pkg)"
    done
  elif ! command -v apt-get >/dev/null 2>&1; then
    for pkg in "${missing[@]}"; do
      say "Debian package '$pkg' is not installed and there is no apt-get here: $(purpose_of "$pkg")"
    done
  else
    say "installing Debian packages: ${missing[*]} (apt-get; this takes a few minutes the first time)…"
    export DEBIAN_FRONTEND=noninteractive
    apt_opts=(-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    apt-get "${apt_opts[@]}" update -q </dev/null || die "apt-get update failed (see above)"
    apt-get "${apt_opts[@]}" install -y -q "${missing[@]}" </dev/null || die "apt-get install ${missing[*]} failed (see above)"
    for pkg in "${missing[@]}"; do
      is_installed "$pkg" || die "Debian package '$pkg' is still missing after apt-get install"
    done
  fi
elif (($#)); then
  say "Debian packages present: $*"
fi

# --- island bundles ----------------------------------------------------------------------------

if [[ "${TALKSPACE_SKIP_ISLANDS:-}" == "1" ]]; then
  say "skipping the island build (TALKSPACE_SKIP_ISLANDS=1)"
elif [[ -f scripts/build_islands.ts ]]; then
  say "building island bundles…"
  DENO_NO_UPDATE_CHECK=1 "$DENO" run -A scripts/build_islands.ts || die "building the island bundles failed (scripts/build_islands.ts, see above)"
else
  say "no scripts/build_islands.ts yet: no island bundles to build"
fi
