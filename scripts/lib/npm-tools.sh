#!/usr/bin/env bash
# Install the pinned npm packages the tests use as real peers, outside the checkout, and print
# the node_modules directory that holds them:
#
#   wrangler  the Cloudflare CLI (a client checked against tests/fakes/cloudflare_workers.py)
#   workerd   the Workers runtime, as wrangler pins it (@cloudflare/workerd-linux-64 ships the
#             binary inside the npm package, so nothing is downloaded at install time)
#
# Idempotent; one install at a time. Environment knobs (optional):
#   PMCP_NPM_TOOLS_DIR  where to install (default: ~/.cache/pmcp-deploy-action/npm-tools-<pins>)
set -Eeuo pipefail

# 4.55.0 runs on Node 20 (newer majors may want Node 22); it pins workerd 1.20251213.0.
WRANGLER_VERSION="4.55.0"
PINS="wrangler-$WRANGLER_VERSION"
DIR="${PMCP_NPM_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pmcp-deploy-action/npm-tools-$PINS}"
MODULES="$DIR/node_modules"

ready() {
    [[ -x "$MODULES/.bin/wrangler" && -x "$MODULES/@cloudflare/workerd-linux-64/bin/workerd" ]]
}

if ! ready; then
    command -v npm >/dev/null 2>&1 || { echo "npm-tools: npm is not on PATH" >&2; exit 1; }
    command -v node >/dev/null 2>&1 || { echo "npm-tools: node is not on PATH" >&2; exit 1; }
    mkdir -p "$DIR"
    exec 9>"$DIR/.lock"
    flock -w 600 9 || { echo "npm-tools: another install holds $DIR/.lock" >&2; exit 1; }
    if ! ready; then
        # --ignore-scripts: the binaries come inside the packages; no install script may fetch.
        if ! npm install --prefix "$DIR" --no-audit --no-fund --ignore-scripts --loglevel=error \
            "wrangler@$WRANGLER_VERSION" >"$DIR/install.log" 2>&1; then
            echo "npm-tools: npm install wrangler@$WRANGLER_VERSION failed:" >&2
            tail -n 30 "$DIR/install.log" >&2
            exit 1
        fi
    fi
    ready || { echo "npm-tools: installed, but wrangler or workerd is missing in $MODULES" >&2; exit 1; }
fi
echo "$MODULES"
