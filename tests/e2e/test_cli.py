"""The command line end to end, in a child process like a user or a script runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, read_manifest
from tests.images import gradient, save


def run(*args: str, lib: Path | None = None, env: dict[str, str] | None = None):
    cmd = [sys.executable, str(REPO / "main.py"), *args]
    if lib is not None:
        cmd += ["--library", str(lib)]
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=300)


def run_json(*args: str, lib: Path, expect: int = 0):
    proc = run(*args, "--json", lib=lib)
    assert proc.returncode == expect, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def test_import_the_whole_corpus_twice(corpus: Path, tmp_path: Path) -> None:
    lib = tmp_path / "L"
    # The form given in the issue: --library before the command.
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "main.py"),
            "--library",
            str(lib),
            "import",
            str(corpus),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr  # some corpus files are broken on purpose
    first = json.loads(proc.stdout)
    assert "Traceback" not in proc.stderr
    by_name = {Path(o["path"]).name: o for o in first}
    manifest = {row["file"]: row for row in read_manifest()}
    assert set(by_name) == set(manifest) | {"MANIFEST.tsv"}
    for o in first:
        assert set(o) >= {"path", "status", "work_id", "sha256", "reason"}
        if o["status"] == "failed":
            assert o["reason"] and o["work_id"] is None
        else:
            assert o["status"] == "added" and o["reason"] is None and o["work_id"]
    for name, row in manifest.items():
        assert by_name[name]["sha256"] in (row["sha256"], None) or row["sha256"] == ""
    added = [o for o in first if o["status"] == "added"]

    listed = run_json("list", lib=lib)
    assert len(listed) == len(added)
    assert {w["id"] for w in listed} == {o["work_id"] for o in added}
    for w in listed:
        assert set(w) >= {"id", "title", "class", "tags", "files"}
        assert w["class"] == "undeclared" and len(w["files"]) == 1

    second = run_json("import", str(corpus), lib=lib, expect=1)
    again = {o["path"]: o for o in second}
    for o in added:
        assert again[o["path"]]["status"] == "duplicate"
        assert again[o["path"]]["work_id"] == o["work_id"]
    assert [o for o in second if o["status"] == "added"] == []
    assert len(run_json("list", lib=lib)) == len(added)


def test_edit_commands_and_show(tmp_path: Path) -> None:
    lib = tmp_path / "L"
    img = save(gradient(), tmp_path / "bamboo_study.png", "PNG")
    (out,) = run_json("import", str(img), lib=lib)
    wid = str(out["work_id"])

    assert run_json("rename", wid, "Bamboo in wind 風竹", lib=lib)["title"] == "Bamboo in wind 風竹"
    assert run_json("tag", wid, "ink", "Bamboo", "ink", lib=lib)["tags"] == ["Bamboo", "ink"]
    assert run_json("untag", wid, "INK", lib=lib)["tags"] == ["Bamboo"]
    decl = run_json(
        "declare",
        wid,
        "--class",
        "ai-assisted",
        "--ai-use",
        "Stable Diffusion:background:sky behind the bamboo",
        "--ai-use",
        "Topaz Gigapixel:upscaling",
        "--note",
        "brushwork by hand",
        lib=lib,
    )
    assert decl["class"] == "ai-assisted"
    assert decl["declaration"]["ai_uses"] == [
        {"tool": "Stable Diffusion", "stage": "background", "note": "sky behind the bamboo"},
        {"tool": "Topaz Gigapixel", "stage": "upscaling", "note": None},
    ]

    shown = run_json("show", wid, lib=lib)
    assert shown["title"] == "Bamboo in wind 風竹"
    assert shown["class"] == "ai-assisted"
    assert shown["declaration"]["note"] == "brushwork by hand"
    assert shown["files"][0]["sha256"] == out["sha256"]
    assert "metadata" in shown["files"][0]
    assert shown["signals"] == []
    assert [e["kind"] for e in shown["history"]] == [
        "work.imported",
        "work.renamed",
        "work.tagged",
        "work.untagged",
        "work.declared",
    ]

    assert [w["id"] for w in run_json("list", "--class", "ai-assisted", lib=lib)] == [int(wid)]
    assert run_json("list", "--class", "human-made", lib=lib) == []
    assert [w["id"] for w in run_json("list", "--tag", "bamboo", lib=lib)] == [int(wid)]
    assert [w["id"] for w in run_json("list", "--search", "風竹", lib=lib)] == [int(wid)]
    assert run_json("list", "--search", "nothing-like-this", lib=lib) == []

    human = run("show", wid, lib=lib)
    assert human.returncode == 0 and "Bamboo in wind" in human.stdout
    assert "Stable Diffusion (background)" in human.stdout


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("show", "999"), 1, "no work with id 999"),
        (("show", "abc"), 2, "a work id is a number"),
        (("declare", "1", "--class", "mostly-human"), 2, "invalid choice"),
        (("declare", "1", "--class", "ai-assisted", "--ai-use", "SD:dreaming"), 2, "unknown stage"),
        (("declare", "1", "--class", "ai-assisted", "--ai-use", "nostage"), 2, "TOOL:STAGE"),
        (("frobnicate",), 2, "invalid choice"),
        ((), 2, "a command is needed"),
        (("rename", "1", "   "), 2, "cannot be empty"),
    ],
)
def test_errors_are_one_line_with_the_right_status(
    tmp_path: Path, args: tuple[str, ...], status: int, message: str
) -> None:
    lib = tmp_path / "L"
    img = save(gradient(), tmp_path / "a.png", "PNG")
    run("import", str(img), lib=lib)
    # With no command at all (`--library DIR` alone) the GUI opens; `--json` alone is usage.
    proc = run(*args, lib=lib) if args else run("--json", lib=lib)
    assert proc.returncode == status, (proc.stdout, proc.stderr)
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_human_made_with_ai_use_is_refused(tmp_path: Path) -> None:
    lib = tmp_path / "L"
    (out,) = run_json("import", str(save(gradient(), tmp_path / "a.png", "PNG")), lib=lib)
    proc = run(
        "declare",
        str(out["work_id"]),
        "--class",
        "human-made",
        "--ai-use",
        "Midjourney:reference",
        lib=lib,
    )
    assert proc.returncode == 2 and "ai-assisted" in proc.stderr


def test_reference_mode_from_the_cli(tmp_path: Path) -> None:
    lib = tmp_path / "L"
    img = save(gradient(), tmp_path / "here.png", "PNG")
    (out,) = run_json("import", "--reference", str(img), lib=lib)
    shown = run_json("show", str(out["work_id"]), lib=lib)
    assert shown["files"][0]["referenced"] is True
    assert shown["files"][0]["path"] == str(img.resolve())


def test_library_from_environment_variable(tmp_path: Path) -> None:
    lib = tmp_path / "from-env"
    img = save(gradient(), tmp_path / "a.png", "PNG")
    proc = run("import", str(img), "--json", env={"INKSEAL_LIBRARY": str(lib)})
    assert proc.returncode == 0, proc.stderr
    assert (lib / "library.sqlite").is_file()


def test_missing_and_broken_paths_exit_1_and_the_rest_import(tmp_path: Path) -> None:
    lib = tmp_path / "L"
    good = save(gradient(), tmp_path / "good.png", "PNG")
    proc = run("import", str(tmp_path / "nope.png"), str(good), lib=lib)
    assert proc.returncode == 1
    assert "failed" in proc.stdout and "no such file or folder" in proc.stdout
    assert "1 added, 0 duplicate(s), 1 failed" in proc.stdout


def test_scan_is_read_only_and_reports_every_file(corpus: Path, tmp_path: Path) -> None:
    lib = tmp_path / "never-made"
    files = [
        corpus / "ai-comfyui__img2img-1x1.png",
        corpus / "c2pa-invalid__data-hash-mismatch.jpg",
        corpus / "broken__zero-length.png",
        corpus / "camera__sony-f828.jpg",
    ]
    proc = run("scan", *map(str, files), "--json", lib=lib)
    assert proc.returncode == 1, proc.stderr  # one file is broken
    out = {Path(r["path"]).name: r for r in json.loads(proc.stdout)}
    assert not lib.exists()  # scan imports nothing and creates no library
    for r in out.values():
        assert set(r) >= {
            "path",
            "sha256",
            "media_type",
            "width",
            "height",
            "suggested_class",
            "signals",
            "c2pa",
            "error",
        }
    comfy = out["ai-comfyui__img2img-1x1.png"]
    assert comfy["suggested_class"] == "ai-generated" and comfy["c2pa"] is None
    (sig,) = comfy["signals"]
    assert set(sig) >= {"source", "tool", "version", "model", "prompt", "verdict", "detail"}
    assert sig["tool"] == "ComfyUI" and sig["model"] and sig["prompt"]
    bad = out["c2pa-invalid__data-hash-mismatch.jpg"]["c2pa"]
    assert set(bad) >= {
        "active_manifest",
        "claim_generator",
        "signer",
        "digital_source_types",
        "validation_state",
        "failures",
    }
    assert bad["validation_state"] == "invalid"
    assert out["broken__zero-length.png"]["error"] == "the file is empty (0 bytes)"
    assert out["camera__sony-f828.jpg"]["suggested_class"] == "human-made"
    human = run("scan", str(files[0]), lib=lib)
    assert human.returncode == 0 and "ComfyUI" in human.stdout and "ai-generated" in human.stdout


def test_needs_review_from_the_cli(corpus: Path, tmp_path: Path) -> None:
    lib = tmp_path / "L"
    (o,) = run_json("import", str(corpus / "ai-novelai__v1-1x1.png"), lib=lib)
    wid = str(o["work_id"])
    assert run_json("list", "--needs-review", lib=lib) == []
    (w,) = run_json("list", lib=lib)
    assert w["suggested_class"] == "ai-generated" and w["class"] == "undeclared"
    run_json("declare", wid, "--class", "human-made", lib=lib)
    (flagged,) = run_json("list", "--needs-review", lib=lib)
    assert flagged["id"] == int(wid)
    shown = run_json("show", wid, lib=lib)
    assert shown["needs_review"] and "NovelAI" in shown["review_reason"]
    assert shown["suggested_class"] == "ai-generated"
    assert [s["tool"] for s in shown["signals"]] == ["NovelAI"]
    text = run("show", wid, lib=lib).stdout
    assert "files say:  ai-generated" in text and "NovelAI" in text


def test_rescan_from_the_cli(tmp_path: Path) -> None:
    lib = tmp_path / "L"
    (o,) = run_json("import", str(save(gradient(), tmp_path / "a.png", "PNG")), lib=lib)
    (r,) = run_json("rescan", lib=lib)
    assert r == {
        "work_id": o["work_id"],
        "file_id": r["file_id"],
        "status": "unchanged",
        "suggested_class": "unknown",
        "reason": None,
    }
    proc = run("rescan", "999", lib=lib)
    assert proc.returncode == 0 and "0 updated, 0 unchanged, 0 failed" in proc.stdout


def test_list_sort_and_untagged(tmp_path: Path) -> None:
    lib = tmp_path / "L"
    for seed, name in enumerate(("b", "a", "c")):
        save(gradient(seed=seed), tmp_path / f"{name}.png", "PNG")
    out = run_json("import", *(str(tmp_path / f"{n}.png") for n in "bac"), lib=lib)
    run_json("tag", str(out[0]["work_id"]), "x", lib=lib)
    assert [w["title"] for w in run_json("list", "--sort", "title", lib=lib)] == ["a", "b", "c"]
    assert [w["title"] for w in run_json("list", "--untagged", "--sort", "title", lib=lib)] == [
        "a",
        "c",
    ]


def test_trash_from_the_cli(tmp_path: Path) -> None:
    lib = tmp_path / "L"
    (o,) = run_json("import", str(save(gradient(), tmp_path / "a.png", "PNG")), lib=lib)
    wid = str(o["work_id"])
    assert run_json("trash", wid, lib=lib) == {"trashed": [int(wid)]}
    assert run_json("list", lib=lib) == []
    assert [w["id"] for w in run_json("list", "--trash", lib=lib)] == [int(wid)]
    assert run_json("restore", wid, lib=lib) == {"restored": [int(wid)]}
    run_json("trash", wid, lib=lib)
    assert run_json("empty-trash", lib=lib) == {"deleted": 1}
    assert run("show", wid, lib=lib).returncode == 1


def test_a_reader_that_stops_early_is_no_error(tmp_path: Path) -> None:
    # `inkseal list | head -1`: the pipe closes under the command; it stops without a word.
    lib = tmp_path / "L"
    (tmp_path / "pics").mkdir()
    for i in range(3):
        save(gradient(seed=i), tmp_path / "pics" / f"p{i}.png", "PNG")
    assert run("import", str(tmp_path / "pics"), lib=lib).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "main.py"), "list", "--json", "--library", str(lib)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(1)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(60)
    assert "error" not in err.lower(), err
