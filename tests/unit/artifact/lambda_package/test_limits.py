"""Lambda's size limits on the package."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.errors import ConfigError
from tests.unit.artifact.helpers import Project, config, elf, make_zip, write, write_bootstrap

# --- size limits ------------------------------------------------------------------------


def test_unzipped_size_over_the_limit_is_an_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pmcp_action.artifact.lambda_package.limits.LAMBDA_UNZIPPED_LIMIT", 1000)
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap", body=b"x" * 600)
    write(project.root / "static" / "big.bin", b"y" * 500)

    with pytest.raises(ConfigError) as caught:
        project.resolve(config=config(include=["static/*"]))

    error = caught.value
    assert "(1164 bytes) unzipped" in error.message
    assert "limit of 0.0 MiB (1000 bytes)" in error.message
    assert "- bootstrap: 0.0 MiB (664 bytes)" in error.details
    assert "- assets/static/big.bin: 0.0 MiB (500 bytes)" in error.details
    assert not (project.work / "deployment.zip").exists()


def test_raw_bootstrap_over_the_limit_is_an_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pmcp_action.artifact.lambda_package.limits.LAMBDA_UNZIPPED_LIMIT", 100)
    write_bootstrap(project.root / "bootstrap", body=b"x" * 100)

    with pytest.raises(ConfigError, match="above AWS Lambda's limit"):
        project.resolve(artifact_input=Path("bootstrap"))


def test_input_zip_unzipped_over_the_limit(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pmcp_action.artifact.lambda_package.limits.LAMBDA_UNZIPPED_LIMIT", 1000)
    make_zip(project.root / "d.zip", {"bootstrap": elf(), "assets/big": b"\x00" * 5000})

    with pytest.raises(ConfigError, match=r"\(5128 bytes\) unzipped"):
        project.resolve(artifact_input=Path("d.zip"))


def test_zip_over_the_direct_upload_limit_warns(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pmcp_action.artifact.lambda_package.limits.LAMBDA_DIRECT_UPLOAD_LIMIT", 10)
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")

    result = project.resolve(packaging="zip")

    assert result.kind == "zip"
    assert "above Lambda's 0.0 MiB direct-upload limit" in project.output
    assert "goes through S3" in project.output
