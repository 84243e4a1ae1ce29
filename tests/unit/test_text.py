"""Text from files and people, made safe to show."""

from __future__ import annotations

from inkseal.library import works
from inkseal.library.importer import import_paths
from inkseal.library.text import escape_controls, html_text, plain_line
from tests.images import gradient, save


def test_plain_line_drops_what_is_not_shown() -> None:
    assert plain_line("a\nb\tc\x1b[31md\u202ee ") == "a b c [31mde"
    assert plain_line("x" * 50, 10) == "x" * 10


def test_terminal_escapes_keep_lines_and_progress() -> None:
    assert escape_controls("\rimporting 1/3\n\tok\x1b[2J") == "\rimporting 1/3\n\tok\\x1b[2J"


def test_rich_text_is_escaped_and_loses_overrides() -> None:
    assert html_text("<b>gnp\u202e.exe</b>\x07") == "&lt;b&gt;gnp.exe&lt;/b&gt;\\x07"


def test_a_tag_stored_with_control_characters_can_still_be_removed(lib, tmp_path) -> None:
    save(gradient(), tmp_path / "a.png", "PNG")
    (outcome,) = import_paths(lib, [str(tmp_path / "a.png")]).outcomes
    works.add_tags(lib, outcome.work_id, ["ink"])
    with lib.write.begin() as s:  # as an older version could have stored it
        s.connection().exec_driver_sql("UPDATE tags SET name = 'in' || char(10) || 'k2'")
    assert works.remove_tags(lib, outcome.work_id, ["in k2"]) == ["in\nk2"]
    assert works.get_work(lib, outcome.work_id).tags == ()
