#!/usr/bin/env bash
# Installs the pinned Deno into .tools/ from the npm registry (the `deno` package ships the real
# binary), unless that version is already there. Prints the path of the deno binary.
set -euo pipefail
DENO_VERSION="2.9.6"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.tools/node_modules/.bin/deno"
if [ -x "$bin" ] && "$bin" --version 2>/dev/null | head -1 | grep -q "deno $DENO_VERSION "; then
  echo "$bin"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm is needed to install Deno $DENO_VERSION (or install Deno 2 yourself: https://deno.com)" >&2
  exit 1
fi
mkdir -p "$root/.tools"
npm install --prefix "$root/.tools" --no-save --no-audit --no-fund --loglevel=error "deno@$DENO_VERSION" >&2
"$bin" --version >/dev/null
echo "$bin"
