# The pmcp deploy action image (GitHub `runs.using: docker`, GitLab `image:`).
#
# Builds unchanged on GitHub's runners (python:3.12-slim pulled, wheels from PyPI) and offline:
# when the build context holds wheelhouse/ (scripts/prepare-machine fills it), every wheel comes
# from there and the index is never contacted. Either way pip installs only the hash-pinned
# files of requirements/runtime.txt (and requirements/build.txt for the build backend).
#
# No BuildKit-only syntax (no `# syntax=`, no RUN --mount): the classic builder must work too.

ARG BASE_IMAGE=python:3.12-slim
# The version is written once, in pmcp_action/__init__.py. A release build passes it
# (--build-arg PMCP_VERSION=X.Y.Z, from scripts/release-version), and the build checks the
# package says the same, so the image label and `pmcp-action --version` always agree; a build
# without it (GitHub building the Dockerfile of an unreleased ref) labels the image "dev".
ARG PMCP_VERSION=dev

# ---- builder: /opt/venv with the locked runtime deps and the project ----------------------
FROM ${BASE_IMAGE} AS builder
ARG PMCP_VERSION

# Tagged by scripts/build-image as the build cache; the label lets it prune stale ones.
LABEL org.opencontainers.image.title="pmcp-deploy-action-builder"

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PIP_NO_INPUT=1 \
    PYTHONDONTWRITEBYTECODE=1

# The wildcard makes wheelhouse/ optional: with no match only the lock files are copied.
COPY requirements/runtime.txt requirements/build.txt wheelhouse* /tmp/wheels/

# The venv is made by the base image's own interpreter (the same one the final stage has), so
# /opt/venv/bin/python stays valid after the copy; `python3 -m venv` also works where the system
# Python is PEP 668 "externally managed".
RUN set -eu; \
    if ls /tmp/wheels/*.whl >/dev/null 2>&1; then \
        export PIP_NO_INDEX=1 PIP_FIND_LINKS=/tmp/wheels; \
    fi; \
    python3 -m venv /opt/venv; \
    /opt/venv/bin/python -m pip install --quiet --require-hashes -r /tmp/wheels/runtime.txt; \
    python3 -m venv /opt/build-venv; \
    /opt/build-venv/bin/python -m pip install --quiet --require-hashes -r /tmp/wheels/build.txt

COPY pyproject.toml README.md /src/
COPY pmcp_action /src/pmcp_action
COPY scripts/prune-botocore /src/scripts/prune-botocore

# PyYAML's libyaml extension (2.7 MB) is removed: scenario files are read with the pure-Python
# SafeLoader (yaml.compose gives their line numbers), so it would never be loaded.
RUN set -eu; \
    /opt/build-venv/bin/python -m pip wheel --quiet --no-deps --no-build-isolation \
        --wheel-dir /tmp/dist /src; \
    /opt/venv/bin/python -m pip install --quiet --no-deps --no-index /tmp/dist/*.whl; \
    /opt/venv/bin/python -m pip check; \
    /opt/venv/bin/python -m pip uninstall --quiet --yes pip setuptools; \
    rm -rf /opt/venv/bin/activate* /opt/venv/bin/Activate.ps1 /opt/venv/bin/__pycache__; \
    /opt/venv/bin/python /src/scripts/prune-botocore /src/pmcp_action; \
    rm -f /opt/venv/lib/python3*/site-packages/yaml/_yaml.cpython-*.so; \
    find /opt/venv -name __pycache__ -prune -exec rm -rf {} +; \
    /opt/venv/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/venv/lib; \
    version="$(/opt/venv/bin/pmcp-action --version)"; \
    if [ "$PMCP_VERSION" != dev ] && [ "$version" != "pmcp-action $PMCP_VERSION" ]; then \
        echo "the package says '$version', PMCP_VERSION is $PMCP_VERSION" >&2; exit 1; \
    fi

# ---- final: the base image plus /opt/venv, nothing else ------------------------------------
FROM ${BASE_IMAGE}
ARG PMCP_VERSION

LABEL org.opencontainers.image.title="pmcp-deploy-action" \
      org.opencontainers.image.version="${PMCP_VERSION}" \
      org.opencontainers.image.description="Deploy Rust MCP servers (pmcp SDK) from CI and verify them over MCP" \
      org.opencontainers.image.licenses="MIT"

# PATH is spelled out (not "$PATH"-extended) so an image without a PATH of its own cannot leave
# an empty entry; pmcp-action is on it for GitLab (`entrypoint: [""]`, then `pmcp-action ...`).
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Bytecode for the stdlib, which the base images ship without (and the entrypoint runs with -B,
# so nothing is ever cached): without it every run compiles each stdlib module it imports.
# unchecked-hash: the image never changes, so the sources are not even looked at; the venv is
# compiled the same way in the builder stage. Skipped: what the action never imports (tests
# import every module of ours in the image and check that nothing they load lacks bytecode);
# this keeps about 3 MB of bytecode out of the image.
RUN set -eu; \
    stdlib="$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')"; \
    python3 -m compileall -q -j 0 --invalidation-mode unchecked-hash \
        -x '/(test|tests|idlelib|idle_test|tkinter|turtledemo|lib2to3|ensurepip|site-packages|dist-packages|pydoc_data|distutils|unittest|xmlrpc|sqlite3|curses|dbm|wsgiref|msilib)/|/(turtle|_pydecimal|pydoc|mailbox|doctest|pdb|imaplib|nntplib|tabnanny|pickletools)\.py$' \
        "$stdlib"

COPY --from=builder /opt/venv /opt/venv
COPY entrypoint.py /opt/pmcp-action/entrypoint.py

# No USER and no WORKDIR: GitHub runs docker actions as root with --workdir /github/workspace.
# Absolute interpreter, isolated mode (-I: no PYTHON* variables, no script or working directory
# on sys.path, so neither a PATH/PYTHONPATH set by the workflow nor a pmcp_action/ folder in the
# workspace can change what runs); -I drops PYTHONUNBUFFERED and PYTHONDONTWRITEBYTECODE, hence
# -u -B.
# entrypoint.py resets PATH and HOME before anything else runs.
ENTRYPOINT ["/opt/venv/bin/python", "-I", "-u", "-B", "/opt/pmcp-action/entrypoint.py"]
