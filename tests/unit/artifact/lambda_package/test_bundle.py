"""The Lambda deployment zip: reproducible bytes, auto vs zip, config.toml, assets."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from pmcp_action.artifact import sha256_file
from pmcp_action.artifact.lambda_package import build_deployment_zip
from pmcp_action.errors import ConfigError
from tests.unit.artifact.helpers import Project, config, write, write_bootstrap, zip_names, zip_read

# --- deterministic zips -----------------------------------------------------------------


def make_tree(root: Path) -> tuple[Path, list[tuple[Path, str]]]:
    bootstrap = write_bootstrap(root / "bootstrap", body=os.urandom(1000))
    assets = [
        (write(root / "static" / "z.css", "z" * 500), "assets/static/z.css"),
        (write(root / "static" / "a.json", '{"a": 1}'), "assets/static/a.json"),
        (write(root / "data" / "db.sqlite", os.urandom(300)), "assets/data/db.sqlite"),
    ]
    return bootstrap, assets


def test_zip_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    bootstrap, assets = make_tree(tmp_path / "src")
    config_toml = write(tmp_path / "src" / "config.toml", "[server]\n")
    first, second = tmp_path / "one.zip", tmp_path / "two" / "two.zip"

    build_deployment_zip(
        bootstrap, first, assets=assets, extra_root_files=[(config_toml, "config.toml")]
    )
    for path, _ in [(bootstrap, ""), (config_toml, ""), *assets]:
        os.utime(path, (1_000_000_000, 1_700_000_000))
        path.chmod(0o600)
    build_deployment_zip(
        bootstrap,
        second,
        assets=list(reversed(assets)),
        extra_root_files=[(config_toml, "config.toml")],
    )

    assert first.read_bytes() == second.read_bytes()
    assert sha256_file(first) == sha256_file(second)
    assert not list(tmp_path.glob("**/*.partial"))


def test_zip_entries_are_sorted_with_fixed_metadata(tmp_path: Path) -> None:
    bootstrap, assets = make_tree(tmp_path / "src")
    config_toml = write(tmp_path / "src" / "config.toml", "[server]\n")
    dest = tmp_path / "out" / "deployment.zip"

    build_deployment_zip(
        bootstrap, dest, assets=assets, extra_root_files=[(config_toml, "config.toml")]
    )

    with zipfile.ZipFile(dest) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == [
            "assets/data/db.sqlite",
            "assets/static/a.json",
            "assets/static/z.css",
            "bootstrap",
            "config.toml",
        ]
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.create_system == 3
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.extra == b""
            assert not info.is_dir()
            expected = 0o100755 if info.filename == "bootstrap" else 0o100644
            assert info.external_attr >> 16 == expected
        assert archive.read("bootstrap") == bootstrap.read_bytes()
        assert archive.read("assets/static/z.css") == b"z" * 500
        assert archive.testzip() is None


def test_zip_rejects_bad_entry_names(tmp_path: Path) -> None:
    bootstrap = write_bootstrap(tmp_path / "bootstrap")

    with pytest.raises(ValueError, match="invalid name"):
        build_deployment_zip(bootstrap, tmp_path / "x.zip", assets=[(bootstrap, "../evil")])
    with pytest.raises(ValueError, match="duplicate"):
        build_deployment_zip(bootstrap, tmp_path / "x.zip", assets=[(bootstrap, "bootstrap")])


def test_resolved_zip_sha_is_stable_across_runs(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    write(project.root / "static" / "index.html", "<h1>hi</h1>")
    settings = config(include=["static/**"])

    first = project.resolve(config=settings, packaging="zip")
    os.utime(project.root / "static" / "index.html", (0, 0))
    second = project.resolve(config=settings, packaging="zip")

    assert first.sha256 == second.sha256
    assert first == second


# --- packaging rules (auto vs zip, config.toml) -----------------------------------------


def test_auto_with_assets_builds_a_zip(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    write(project.root / "static" / "index.html", "<h1>hi</h1>")

    result = project.resolve(config=config(include=["static/**"]))

    assert result.kind == "zip"
    assert result.path == project.work / "deployment.zip"
    assert zip_names(result.path) == ["assets/static/index.html", "bootstrap"]
    assert result.source == "cargo-lambda output target/lambda/bootstrap/bootstrap"


def test_auto_with_unmatched_assets_stays_raw(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")

    result = project.resolve(config=config(include=["static/**"]))

    assert result.kind == "bootstrap"
    assert "pattern 'static/**' matches no files" in project.output


def test_assets_inside_the_work_dir_are_skipped(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    write(project.root / "static" / "a.css", "a")
    work = project.root / "deploy" / ".build"
    write(work / "deployment.zip", b"old")

    result = project.resolve(config=config(include=["**/*"]), work_dir=work, packaging="zip")

    names = zip_names(result.path)
    assert "assets/static/a.css" in names
    assert not any(n.startswith("assets/deploy/") for n in names)


def test_root_config_toml_is_bundled(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    text = '[server]\nname = "demo"\ntoken_secret = "dev-secret"\n'
    write(project.root / "config.toml", text)

    result = project.resolve()

    assert result.kind == "zip"
    assert zip_names(result.path) == ["bootstrap", "config.toml"]
    assert zip_read(result.path, "config.toml") == text.encode()  # not config-driven: verbatim
    with zipfile.ZipFile(result.path) as archive:
        assert archive.getinfo("config.toml").external_attr >> 16 == 0o100644


def test_single_instance_toml_is_bundled_as_config_toml(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    write(project.root / "instances" / "prod.toml", "[server]\nname = 'prod'\n")

    result = project.resolve()

    assert zip_read(result.path, "config.toml") == b"[server]\nname = 'prod'\n"


def test_several_instance_tomls_are_not_bundled(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    write(project.root / "instances" / "prod.toml", "a = 1\n")
    write(project.root / "instances" / "dev.toml", "a = 2\n")

    assert project.resolve().kind == "bootstrap"


def test_config_driven_project_rewrites_token_secret(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    write(
        project.root / "Cargo.toml",
        '[package]\nname = "demo"\n[dependencies]\npmcp-server-toolkit = "0.1"\n',
    )
    write(project.root / "schema.sql", "CREATE TABLE t(id INTEGER);\n")
    write(
        project.root / "config.toml",
        '[code_mode]\r\n  token_secret = "dev-literal"\r\n'
        'token_secret_env = "X"\r\nname = "demo"\r\n',
    )
    write(project.root / "static" / "config.toml", 'token_secret="inline"\nother = 1')

    result = project.resolve(config=config(include=["static/**"]), packaging="zip")

    assert zip_read(result.path, "config.toml") == (
        b'[code_mode]\n  token_secret = "${CODE_MODE_SECRET}"\ntoken_secret_env = "X"\n'
        b'name = "demo"\n'
    )
    assert zip_read(result.path, "assets/static/config.toml") == (
        b'token_secret = "${CODE_MODE_SECRET}"\nother = 1'
    )
    assert b"dev-literal" in (project.root / "config.toml").read_bytes()  # disk untouched


def test_zip_mode_without_extras_holds_only_bootstrap(project: Project) -> None:
    binary = write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")

    result = project.resolve(packaging="zip")

    assert zip_names(result.path) == ["bootstrap"]
    assert result.bootstrap_sha256 == sha256_file(binary)
    assert result.sha256 != result.bootstrap_sha256


def test_invalid_packaging_and_architecture(project: Project) -> None:
    with pytest.raises(ValueError, match="packaging"):
        project.resolve(packaging="tar")
    with pytest.raises(ConfigError, match="Unknown Lambda architecture 'riscv'"):
        project.resolve(architecture="riscv")


def test_server_name_argument_overrides_config(project: Project) -> None:
    lambda_dir = project.root / "target" / "lambda"
    write_bootstrap(lambda_dir / "alpha" / "bootstrap")
    binary = write_bootstrap(lambda_dir / "detected" / "bootstrap")

    assert project.resolve(config=config(name=""), server_name="detected").path == binary


def test_a_config_toml_linked_out_of_the_workspace_is_refused(
    project: Project, system_temp: Path
) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    outside = write(project.tmp / "home" / "secrets.toml", "token_secret = 'x'\n")
    (project.root / "config.toml").symlink_to(outside)

    with pytest.raises(ConfigError) as caught:
        project.resolve()

    assert caught.value.message == (
        f"config.toml is a symlink to {outside}, outside the workspace ({project.root}) and the "
        f"system temp directory ({system_temp}); it was not read."
    )
    assert not (project.work / "deployment.zip").exists()
