#!/usr/bin/env bash
# Install gitlab-ci-local (the GitLab CI runner emulator, npm), pinned, outside the checkout,
# and print the path of its executable. The same pattern as npm-tools.sh (wrangler), in a
# directory of its own so neither pin reinstalls the other.
#
# Idempotent; one install at a time. Environment knobs (optional):
#   PMCP_GITLAB_CI_LOCAL_DIR  where to install
#                             (default: ~/.cache/pmcp-deploy-action/gitlab-ci-local-<version>)
set -Eeuo pipefail

# 4.72.0 is the newest that starts on Node 20: 4.73 and later call Set.prototype.union
# (Node 22) at load time and die with "kW.union is not a function".
GITLAB_CI_LOCAL_VERSION="4.72.0"
DIR="${PMCP_GITLAB_CI_LOCAL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pmcp-deploy-action/gitlab-ci-local-$GITLAB_CI_LOCAL_VERSION}"
BIN="$DIR/node_modules/.bin/gitlab-ci-local"

ready() { [[ -x "$BIN" ]]; }

# gitlab-ci-local copies the tracked files into the job's volume with rsync on the host.
if ! command -v rsync >/dev/null 2>&1; then
    if [[ $(id -u) -ne 0 ]]; then echo "gitlab-ci-local: rsync is missing (apt-get install rsync)" >&2; exit 1; fi
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q rsync ||
        { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q rsync; }; } \
        >/tmp/pmcp-gitlab-ci-local-apt.log 2>&1 ||
        { echo "gitlab-ci-local: apt-get install rsync failed:" >&2; tail -n 20 /tmp/pmcp-gitlab-ci-local-apt.log >&2; exit 1; }
fi

# shellcheck source=scripts/lib/npm-install.sh
source "$(dirname "${BASH_SOURCE[0]}")/npm-install.sh"
npm_install_pinned gitlab-ci-local "$DIR" "gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION" ready
ready || { echo "gitlab-ci-local: installed, but $BIN is missing" >&2; exit 1; }
if ! version="$("$BIN" --version 2>&1)"; then
    echo "gitlab-ci-local: $BIN does not start on node $(node --version): ${version##*$'\n'}" >&2
    exit 1
fi
echo "$BIN"
