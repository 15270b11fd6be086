"""cli.completion: the parser shtab completes from, and the script for each shell."""

from __future__ import annotations

import argparse

import pytest

from pmcp_action.cli.completion import completion_parser, completion_script
from pmcp_action.errors import UsageError
from pmcp_action.settings.catalogue import catalogue
from pmcp_action.settings.spec import InputKind


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    words = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(words.choices)


def test_every_input_is_an_option_of_every_command():
    known = catalogue()
    root = completion_parser(known)
    commands = _commands(root)
    assert {
        "deploy",
        "plan",
        "outputs",
        "rollback",
        "destroy",
        "logs",
        "servers",
        "init",
        "preview",
        "destroy-preview",
        "trust",
        "check",
        "help",
        "completion",
    } == set(commands)
    expected = {spec.flag for spec in known.inputs} | {"--version", "--yes", "--to"}
    assert expected <= _flags(root)
    assert expected <= _flags(commands["deploy"])


def test_paths_complete_as_files_and_choices_as_their_values():
    marker = object()
    root = completion_parser(catalogue(), file_kind=marker)
    by_flag = {
        action.option_strings[0]: action for action in root._actions if action.option_strings
    }
    paths = [spec.flag for spec in catalogue().inputs if spec.kind is InputKind.PATH]
    assert paths and all(getattr(by_flag[flag], "complete", None) is marker for flag in paths)
    assert by_flag["--verify"].choices == ("true", "false", "strict")


def test_a_script_per_shell_and_a_named_mistake_otherwise():
    assert "--working-directory" in completion_script(["bash"], catalogue())
    with pytest.raises(UsageError, match="unknown shell 'fish'"):
        completion_script(["fish"], catalogue())
