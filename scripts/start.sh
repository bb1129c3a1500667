#!/usr/bin/env bash
# `npm start`: installs what Talkspace needs, builds the islands, then serves the web app in the
# foreground on http://localhost:8000 (PORT overrides; see the README's configuration table).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Debian packages the local server needs: Janus; espeak-ng and sox make the phone menu's spoken
# prompts; ffmpeg lets H.264-only SIP room systems see the speaker (VP8 → H.264) and, with
# janus-tools (janus-pp-rec) and a font for the names, turns recordings into one MP4.
START_DEBIAN_PACKAGES=(janus janus-tools espeak-ng sox ffmpeg fonts-dejavu-core)

bash scripts/setup.sh ${START_DEBIAN_PACKAGES[@]+"${START_DEBIAN_PACKAGES[@]}"}

export DENO_NO_UPDATE_CHECK=1
printf 'start: serving Talkspace on http://localhost:%s (Ctrl-C stops it)\n' "${PORT:-8000}"
exec "$ROOT/node_modules/.bin/deno" run -A scripts/run_all.ts
