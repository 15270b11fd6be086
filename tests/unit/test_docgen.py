"""action.yml and the README tables are what the declarations generate, and say what runs."""

from __future__ import annotations

from pathlib import Path

import yaml

from pmcp_action.docgen import generated_files, main, render_readme
from pmcp_action.settings.catalogue import catalogue

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def test_checked_in_files_are_what_the_declarations_generate():
    for path, content in generated_files(catalogue(), ROOT).items():
        assert path.read_text(encoding="utf-8") == content, (
            f"{path.name} is stale: run `python -m pmcp_action.docgen`"
        )


def test_the_check_command_fails_on_a_stale_file(tmp_path, capsys):
    (tmp_path / "README.md").write_text((ROOT / "README.md").read_text())
    (tmp_path / "action.yml").write_text("name: stale\n")
    assert main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("action.yml, docker-action.yml, templates/deploy.yml differ"), err
    assert (tmp_path / "action.yml").read_text() == "name: stale\n"
    assert main(["--root", str(tmp_path)]) == 0
    assert main(["--check", "--root", str(tmp_path)]) == 0


def test_a_readme_without_a_generated_block_is_refused():
    text = (ROOT / "README.md").read_text().replace("<!-- generated:outputs -->", "")
    try:
        render_readme(text, catalogue())
    except ValueError as exc:
        assert "outputs" in str(exc)
    else:
        raise AssertionError("a missing block must be an error")


def test_inputs_match_the_catalogue():
    declared = ACTION["inputs"]
    expected = [spec for spec in catalogue().inputs if not spec.cli_only]
    assert list(declared) == [spec.name for spec in expected]
    for spec in expected:
        entry = declared[spec.name]
        assert spec.description.rstrip(".")[:40] in entry["description"]
        # Nothing is required by the runner: target falls back to [target].type.
        assert entry["required"] is False
        # Empty defaults: an unset input must not hide env vars or deploy.toml.
        assert entry["default"] == ""
        if spec.secret:
            assert "Secret" in entry["description"]
        if spec.default:
            assert entry["description"].count(f"Default: {spec.default}.") == 1


def test_target_specific_inputs_name_their_targets():
    cat = catalogue()
    for spec in cat.target_specific_inputs:
        owners = cat.input_owners[spec.name]
        assert ACTION["inputs"][spec.name]["description"].startswith(f"[{', '.join(owners)}] ")


def test_outputs_match_the_catalogue():
    assert list(ACTION["outputs"]) == [spec.name for spec in catalogue().outputs]
    assert all(entry["description"] for entry in ACTION["outputs"].values())


INNER = yaml.safe_load((ROOT / "docker-action.yml").read_text())


def test_runs_in_the_bundled_container():
    # The runs: block changed from `using: docker` to a composite trampoline (issue 12): it
    # resolves the released image, else the bundled Dockerfile, and runs the generated inner
    # Docker action, which is docker-action.yml with its image replaced.
    runs = ACTION["runs"]
    assert runs["using"] == "composite"
    names = [step["name"] for step in runs["steps"]]
    assert names == [
        "Check the runner",
        "Resolve the action image",
        "Run pmcp-action",
        "Remove the generated action",
    ]
    resolve, run = runs["steps"][1], runs["steps"][2]
    assert '"$python" -I "$GITHUB_ACTION_PATH/pmcp_action/action_image.py"' in resolve["run"]
    # A broken PATH from the step's env must not stop it (e2e.yml's bad-input job).
    assert resolve["shell"].startswith("/bin/bash ")
    assert run["uses"] == "./.github/.tmp/.generated-actions/pmcp-deploy-action"
    assert INNER["runs"] == {"using": "docker", "image": "Dockerfile"}
    # Whatever the run did, the checkout is left clean (action_image.py remove).
    remove = runs["steps"][3]
    assert remove["if"] == "always() && runner.os == 'Linux'"
    assert (
        remove["run"]
        .rstrip()
        .endswith('"$python" -I "$GITHUB_ACTION_PATH/pmcp_action/action_image.py" remove')
    )
    assert remove["shell"] == resolve["shell"]
    assert ACTION["branding"]["icon"] and ACTION["branding"]["color"]


def test_the_trampoline_forwards_every_input_and_output():
    run = ACTION["runs"]["steps"][2]
    assert run["with"] == {name: f"${{{{ inputs.{name} }}}}" for name in ACTION["inputs"]}
    for name, entry in ACTION["outputs"].items():
        assert entry["value"] == f"${{{{ steps.run.outputs.{name} }}}}"
    assert INNER["inputs"] == ACTION["inputs"]
    assert {name: {"description": e["description"]} for name, e in ACTION["outputs"].items()} == (
        INNER["outputs"]
    )


def test_input_names_are_kebab_case():
    for name in ACTION["inputs"]:
        assert name == name.lower() and "_" not in name


def test_readme_documents_every_input_and_output():
    readme = (ROOT / "README.md").read_text()
    for spec in catalogue().inputs:
        assert f"| `{spec.name}`" in readme, spec.name
    for output in catalogue().outputs:
        assert f"`{output.name}`" in readme, output.name


def test_the_readme_lists_the_exit_codes_from_their_declaration():
    from pmcp_action.docgen import readme_blocks
    from pmcp_action.exit_codes import EXIT_CODES

    block = readme_blocks(catalogue())["exit-codes"]
    assert block.splitlines()[:2] == ["| exit code | meaning |", "|---|---|"]
    assert block.splitlines()[2:] == [f"| `{e.code}` | {e.meaning} |" for e in EXIT_CODES]
    assert [e.code for e in EXIT_CODES] == [0, 1, 2, 3, 130]
    readme = (ROOT / "README.md").read_text()
    assert f"<!-- generated:exit-codes -->\n{block}\n<!-- /generated:exit-codes -->" in readme
    assert (
        "| `3` | Deployed, but verification failed and the new version is still serving: "
        "rollback-on-failure is false, there was no previous version, the target cannot roll "
        "back, or the command was rollback (a rollback is not undone). |"
    ) in block


def test_every_readme_table_ends_at_a_blank_line():
    lines = (ROOT / "README.md").read_text().splitlines()
    for number, (line, following) in enumerate(zip(lines, lines[1:], strict=False), start=1):
        if line.startswith("|") and not following.startswith("|"):
            assert following == "", f"README.md:{number + 1}: {following!r} right after a table"
