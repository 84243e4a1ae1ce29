"""main.py's choice between the window and the command line."""

from __future__ import annotations

import argparse

import pytest

from inkseal.cli import COMMANDS, build_parser
from inkseal.main import gui_arguments


def test_the_command_list_is_the_parsers() -> None:
    actions = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert tuple(actions[0].choices) == COMMANDS


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], (None, [])),
        (["--library", "/L"], ("/L", [])),
        (["--library=/L"], ("/L", [])),
        (["a.png", "b c.jpg"], (None, ["a.png", "b c.jpg"])),
        (["--library", "/L", "a.png"], ("/L", ["a.png"])),
        (["a.png", "--library", "/L"], ("/L", ["a.png"])),
        # A launcher may pass URLs; a file named like a command after another file is a file.
        (["file:///home/me/My%20Art/x.png"], (None, ["/home/me/My Art/x.png"])),
        (["a.png", "./list"], (None, ["a.png", "./list"])),
        (["--", "--odd-name.png"], (None, ["--odd-name.png"])),
        (["folder/scan"], (None, ["folder/scan"])),
    ],
)
def test_files_open_the_window(args: list[str], expected: tuple[object, list[str]]) -> None:
    assert gui_arguments(args) == expected


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["--library", "/L", "import", "x.png"],
        ["--help"],
        ["--version"],
        ["scan", "x.png", "--json"],
        ["a.png", "--json"],
        ["file://otherhost/x.png", "--version"],
        # Not a file: a command with a typo gets the command line's usage error.
        ["frobnicate"],
        ["lsit", "--library", "/L"],
    ],
)
def test_commands_and_options_go_to_the_command_line(args: list[str]) -> None:
    assert gui_arguments(args) is None
