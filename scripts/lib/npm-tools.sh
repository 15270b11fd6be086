#!/usr/bin/env bash
# Install the pinned npm packages the tests use as real peers, outside the checkout, and print
# the node_modules directory that holds them:
#
#   wrangler  the Cloudflare CLI (a client checked against tests/fakes/cloudflare_workers/)
#   workerd   the Workers runtime, as wrangler pins it (@cloudflare/workerd-linux-64 ships the
#             binary inside the npm package, so nothing is downloaded at install time)
#   @modelcontextprotocol/server-everything
#             the reference MCP server (streamable HTTP), a peer for scenario files
#
# Idempotent; one install at a time. Environment knobs (optional):
#   PMCP_NPM_TOOLS_DIR  where to install (default: ~/.cache/pmcp-deploy-action/npm-tools-<pins>)
set -Eeuo pipefail

# 4.55.0 runs on Node 20 (newer majors may want Node 22); it pins workerd 1.20251213.0.
WRANGLER_VERSION="4.55.0"
EVERYTHING_VERSION="2026.8.31"
PINS="wrangler-$WRANGLER_VERSION-everything-$EVERYTHING_VERSION"
DIR="${PMCP_NPM_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pmcp-deploy-action/npm-tools-$PINS}"
MODULES="$DIR/node_modules"

ready() {
    [[ -x "$MODULES/.bin/wrangler" && -x "$MODULES/@cloudflare/workerd-linux-64/bin/workerd" &&
        -f "$MODULES/@modelcontextprotocol/server-everything/dist/index.js" ]]
}

# shellcheck source=scripts/lib/npm-install.sh
source "$(dirname "${BASH_SOURCE[0]}")/npm-install.sh"
npm_install_pinned npm-tools "$DIR" "wrangler@$WRANGLER_VERSION" ready \
    "@modelcontextprotocol/server-everything@$EVERYTHING_VERSION"
ready || { echo "npm-tools: installed, but wrangler or workerd is missing in $MODULES" >&2; exit 1; }
echo "$MODULES"
