# Sourced by scripts/test and scripts/demo: make .venv hold the locked dev set and the
# project (editable), installing only when the locks changed since the last install.
# Expects ROOT to be the repository root; puts .venv/bin first on PATH.
ensure_venv() {
    if [[ ! -x "$ROOT/.venv/bin/python" ]]; then
        python3 -m venv "$ROOT/.venv"
    fi
    local digest
    digest="$(cat "$ROOT/requirements/dev.txt" "$ROOT/requirements/runtime.txt" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
    local stamp="$ROOT/.venv/.pmcp-deps-$digest"
    if [[ ! -f "$stamp" ]]; then
        "$ROOT/.venv/bin/python" -m pip install --quiet --upgrade pip
        # The runtime set exactly as the image has it (hash-checked), then the test tools.
        "$ROOT/.venv/bin/python" -m pip install --quiet --require-hashes -r "$ROOT/requirements/runtime.txt"
        "$ROOT/.venv/bin/python" -m pip install --quiet -r "$ROOT/requirements/dev.txt"
        "$ROOT/.venv/bin/python" -m pip install --quiet --no-deps -e "$ROOT"
        rm -f "$ROOT"/.venv/.pmcp-deps-*
        touch "$stamp"
    fi
    export PATH="$ROOT/.venv/bin:$PATH"
}
