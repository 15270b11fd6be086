# Sourced by npm-tools.sh and gitlab-ci-local.sh: one locked, pinned npm install.
#
#   npm_install_pinned NAME DIR SPEC READY [MORE_SPECS...]
#
# Installs SPEC (e.g. wrangler@4.55.0), and any MORE_SPECS, into DIR unless the function READY
# already succeeds;
# one install at a time (a flock on DIR/.lock); --ignore-scripts, so no install script may
# fetch anything. Messages are prefixed with NAME; on failure it exits 1 with the log's tail.
npm_install_pinned() {
    local name="$1" dir="$2" spec="$3" ready="$4"
    local more=("${@:5}")
    "$ready" && return 0
    command -v npm >/dev/null 2>&1 || { echo "$name: npm is not on PATH" >&2; exit 1; }
    command -v node >/dev/null 2>&1 || { echo "$name: node is not on PATH" >&2; exit 1; }
    mkdir -p "$dir"
    exec 9>"$dir/.lock"
    flock -w 600 9 || { echo "$name: another install holds $dir/.lock" >&2; exit 1; }
    if ! "$ready"; then
        if ! npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error \
            "$spec" "${more[@]}" >"$dir/install.log" 2>&1; then
            echo "$name: npm install $spec failed:" >&2
            tail -n 30 "$dir/install.log" >&2
            exit 1
        fi
    fi
}
