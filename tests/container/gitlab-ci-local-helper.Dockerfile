# A local stand-in for gitlab-ci-local's helper image (docker.io/firecow/gitlab-ci-local-util,
# which cannot be pulled here): gitlab-ci-local runs `sh -c "chown ... && chmod ..."` and a
# bash script with rsync in it to move the build and the artifacts in and out of the job's
# volumes, nothing else. Built by tests/container/test_gitlab_component.py, on the host network
# (apt over http from inside a build works here; the index over https does not).
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="pmcp-deploy-action-gitlab-ci-local-helper"
RUN set -eu; \
    apt-get update -q; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rsync bash; \
    rm -rf /var/lib/apt/lists/*
