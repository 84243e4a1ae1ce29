"""The command line: the same services as the GUI, for scripts and tests.

`--json` output is a contract other tools rely on. Exit status: 0 success, 1 when something
failed (some files, a missing work, an unusable library), 2 on bad usage. Errors are one line
on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

from inkseal import __version__

CLASSES = ("human-made", "ai-assisted", "ai-generated")
LIST_CLASSES = (*CLASSES, "undeclared")
STAGES = (
    "ideation",
    "reference",
    "sketch",
    "composition",
    "generation",
    "inpainting",
    "background",
    "colouring",
    "upscaling",
    "editing",
    "other",
)

EVIDENCE_ROLES = ("sketch", "wip", "source", "timelapse", "reference", "derivative")
LINK_KINDS = ("derived-from", "study-for", "variant-of", "same-series")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# The subcommands, known without building the parser: main.py tells a subcommand from a file
# to open in the window by this list (a test keeps it equal to the parser's).
COMMANDS = (
    "import", "list", "scan", "trash", "restore", "empty-trash", "rescan", "show", "tag",
    "untag", "rename", "declare", "attach", "detach", "role", "link", "history", "verify",
    "report", "verify-report", "export", "training", "export-catalogue", "import-catalogue",
    "backup", "restore-backup", "identity",
)  # fmt: skip


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _ai_use(text: str) -> tuple[str, str, str | None]:
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
        raise argparse.ArgumentTypeError(f"expected TOOL:STAGE[:NOTE], got {text!r}")
    tool, stage = parts[0].strip(), parts[1].strip().lower()
    if stage not in STAGES:
        raise argparse.ArgumentTypeError(
            f"unknown stage {stage!r} in {text!r}; stages: {', '.join(STAGES)}"
        )
    note = parts[2].strip() if len(parts) == 3 and parts[2].strip() else None
    return tool, stage, note


def _work_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a work id is a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"a work id is a positive number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--library",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="the library folder (default: $INKSEAL_LIBRARY or the user data folder)",
    )
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )

    parser = _Parser(
        prog="inkseal",
        description="Inkseal: a library of artworks with an honest record of how each was made.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"inkseal {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("import", parents=[common], help="import image files and folders")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "--reference",
        action="store_true",
        help="record files where they are instead of copying them into the library",
    )

    p = sub.add_parser("list", parents=[common], help="list works")
    p.add_argument("--class", dest="cls", choices=LIST_CLASSES)
    p.add_argument("--tag")
    p.add_argument("--search", metavar="TEXT")
    p.add_argument(
        "--needs-review",
        action="store_true",
        help="only works whose files contradict their declaration",
    )
    p.add_argument("--untagged", action="store_true", help="only works without tags")
    p.add_argument("--trash", action="store_true", help="the works in the Trash")
    p.add_argument(
        "--sort",
        choices=("added", "created", "title", "class"),
        default="added",
        help="order of the list (default: newest added first)",
    )

    p = sub.add_parser(
        "scan",
        parents=[common],
        help="report what files say about themselves (AI metadata, Content Credentials); "
        "imports nothing",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")

    p = sub.add_parser("trash", parents=[common], help="move works to the Trash")
    p.add_argument("ids", nargs="+", type=_work_id, metavar="ID")
    p = sub.add_parser("restore", parents=[common], help="bring works back from the Trash")
    p.add_argument("ids", nargs="+", type=_work_id, metavar="ID")
    sub.add_parser(
        "empty-trash",
        parents=[common],
        help="delete the works in the Trash for good, with their stored files",
    )

    p = sub.add_parser(
        "rescan",
        parents=[common],
        help="run the detectors again over files already in the library",
    )
    p.add_argument("ids", nargs="*", type=_work_id, metavar="ID", help="works (default: all)")

    p = sub.add_parser("show", parents=[common], help="show one work in full")
    p.add_argument("id", type=_work_id)

    p = sub.add_parser("tag", parents=[common], help="add tags to a work")
    p.add_argument("id", type=_work_id)
    p.add_argument("tags", nargs="+", metavar="TAG")

    p = sub.add_parser("untag", parents=[common], help="remove tags from a work")
    p.add_argument("id", type=_work_id)
    p.add_argument("tags", nargs="+", metavar="TAG")

    p = sub.add_parser("rename", parents=[common], help="give a work a title")
    p.add_argument("id", type=_work_id)
    p.add_argument("title")

    p = sub.add_parser("declare", parents=[common], help="declare how a work was made")
    p.add_argument("id", type=_work_id)
    p.add_argument("--class", dest="cls", choices=CLASSES, required=True)
    p.add_argument(
        "--ai-use",
        dest="ai_uses",
        action="append",
        type=_ai_use,
        default=[],
        metavar="TOOL:STAGE[:NOTE]",
        help=f"an AI tool used, and where; stages: {', '.join(STAGES)}",
    )
    p.add_argument("--note", metavar="TEXT")
    p.add_argument("--by", metavar="NAME", help="who declares (default: the work's creator)")

    p = sub.add_parser(
        "attach",
        parents=[common],
        help="attach process evidence (sketches, stages, layered files, timelapses) to a work",
    )
    p.add_argument("id", type=_work_id)
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "--role",
        choices=EVIDENCE_ROLES,
        help="what the files are to the work (default: chosen per file from its type)",
    )
    p.add_argument(
        "--reference",
        action="store_true",
        help="record files where they are instead of copying them into the library",
    )

    p = sub.add_parser("detach", parents=[common], help="remove a file from its work")
    p.add_argument("file_id", type=_work_id, metavar="FILE_ID")

    p = sub.add_parser("role", parents=[common], help="give a work's file another role")
    p.add_argument("file_id", type=_work_id, metavar="FILE_ID")
    p.add_argument("role", choices=("primary", *EVIDENCE_ROLES))

    p = sub.add_parser(
        "link",
        parents=[common],
        help="link two works: ID is KIND OTHER (e.g. 3 study-for 7: work 3 is a study for 7)",
    )
    p.add_argument("id", type=_work_id)
    p.add_argument("other", type=_work_id, metavar="OTHER")
    p.add_argument("--kind", choices=LINK_KINDS, required=True)
    p.add_argument("--remove", action="store_true", help="remove the link instead")

    p = sub.add_parser("history", parents=[common], help="a work's history, oldest first")
    p.add_argument("id", type=_work_id)

    sub.add_parser(
        "verify",
        parents=[common],
        help="re-hash every file and check the history chain and the records",
    )

    p = sub.add_parser(
        "report",
        parents=[common],
        help="export a PDF provenance report: a certificate for one work, or a portfolio",
    )
    p.add_argument("ids", nargs="+", type=_work_id, metavar="ID")
    p.add_argument("-o", "--output", required=True, metavar="FILE.pdf")
    p.add_argument("--portfolio", action="store_true", help="one report for many works")
    p.add_argument("--compact", action="store_true", help="portfolio: a short section per work")
    p.add_argument("--paper", choices=("A4", "Letter"), default="A4")
    p.add_argument("--no-sign", action="store_true", help="do not sign the report")
    p.add_argument("--no-prompts", action="store_true", help="leave generator prompts out")
    p.add_argument(
        "--no-thumbnails", action="store_true", help="leave the process files' pictures out"
    )
    p.add_argument("--force", action="store_true", help="overwrite FILE.pdf when it exists")

    p = sub.add_parser(
        "verify-report",
        parents=[common],
        help="check a report's signature, that it was not changed, and its files' SHA-256",
    )
    p.add_argument("pdf", metavar="FILE.pdf")
    p.add_argument(
        "files",
        nargs="*",
        metavar="PATH",
        help="copies of the works' files (or folders of them) to check against the report",
    )
    p.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="CERT.pem",
        help="a certificate you trust (e.g. the artist's exported one); may repeat",
    )

    p = sub.add_parser(
        "export",
        parents=[common],
        help="write copies of works' files, optionally with Content Credentials and XMP",
    )
    p.add_argument("ids", nargs="+", type=_work_id, metavar="ID")
    p.add_argument("--to", required=True, metavar="DIR")
    p.add_argument("--c2pa", action="store_true", help="sign each copy with Content Credentials")
    p.add_argument("--xmp", action="store_true", help="write an XMP sidecar beside each copy")
    p.add_argument("--format", choices=("original", "jpeg", "png"), default="original")
    p.add_argument("--force", action="store_true", help="replace files that exist")
    p.add_argument(
        "--training",
        choices=("allowed", "not-allowed"),
        help="AI training and mining preference for works that state none",
    )

    p = sub.add_parser(
        "training",
        parents=[common],
        help="a work's AI training and data mining preference (written into signed copies)",
    )
    p.add_argument("id", type=_work_id)
    p.add_argument("preference", choices=("allowed", "not-allowed", "unset"))

    p = sub.add_parser(
        "export-catalogue",
        parents=[common],
        help="every work with its record, files and hashes, as .json (re-importable) or .csv",
    )
    p.add_argument("--to", required=True, metavar="FILE.json|FILE.csv")
    p = sub.add_parser(
        "import-catalogue",
        parents=[common],
        help="bring the works of an exported .json catalogue into this library",
    )
    p.add_argument("catalogue", metavar="FILE.json")
    p.add_argument(
        "--files",
        required=True,
        metavar="DIR",
        help="where the files are: the old library's folder, or any folder holding them",
    )

    p = sub.add_parser(
        "backup",
        parents=[common],
        help="copy the whole library to a new folder (safe while the app runs)",
    )
    p.add_argument("destination", metavar="NEW_FOLDER")
    p = sub.add_parser(
        "restore-backup",
        parents=[common],
        help="put a backup in place of the library (the old one is kept beside it)",
    )
    p.add_argument("backup", metavar="BACKUP_FOLDER")

    p = sub.add_parser("identity", parents=[common], help="the artist's signing identity")
    isub = p.add_subparsers(dest="identity_command", metavar="ACTION", parser_class=_Parser)
    q = isub.add_parser("create", parents=[common], help="create a signing identity")
    q.add_argument("name")
    q.add_argument("--email")
    q.add_argument("--replace", action="store_true", help="replace the identity the library has")
    isub.add_parser("show", parents=[common], help="show the identity")
    q = isub.add_parser(
        "export", parents=[common], help="write the public certificate for others to trust"
    )
    q.add_argument("-o", "--output", required=True, metavar="CERT.pem")
    q = isub.add_parser("import", parents=[common], help="use a PKCS#12 file from a real CA")
    q.add_argument("p12", metavar="FILE.p12")
    q.add_argument("--replace", action="store_true")
    return parser


@contextlib.contextmanager
def _cancellable() -> Iterator[Any]:
    """A CancelToken that Ctrl+C sets (the work then stops after the files under way)."""
    from inkseal.library.importer import CancelToken

    cancel = CancelToken()
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda _sig, _frame: cancel.cancel())
    try:
        yield cancel
    finally:
        signal.signal(signal.SIGINT, previous)


def _print_json(value: Any, out: TextIO) -> None:
    json.dump(value, out, ensure_ascii=False, indent=2)
    out.write("\n")


def _cmd_import(lib: Any, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inkseal.library.dto import ImportProgress
    from inkseal.library.importer import import_paths

    show_progress = err.isatty() and not args.json

    def on_progress(p: ImportProgress) -> None:
        if show_progress:
            err.write(f"\rimporting {p.done}/{p.total}")
            err.flush()

    try:
        with _cancellable() as cancel:
            report = import_paths(
                lib, args.paths, reference=args.reference, progress=on_progress, cancel=cancel
            )
    finally:
        if show_progress:
            err.write("\n")
    if args.json:
        _print_json([o.to_json() for o in report.outcomes], out)
    else:
        for o in report.outcomes:
            if o.status == "added":
                out.write(f"added      #{o.work_id}  {o.path}\n")
                if o.similar:
                    near = ", ".join(f"#{w}" for w, _ in o.similar)
                    out.write(f"           similar to {near} (not a duplicate; check them)\n")
            elif o.status == "duplicate":
                out.write(f"duplicate  of #{o.work_id}  {o.path}\n")
            else:
                out.write(f"failed     {o.path}: {o.reason}\n")
            for w in o.warnings:
                out.write(f"           warning: {w}\n")
        out.write(
            f"{report.added} added, {report.duplicates} duplicate(s), {report.failed} failed"
            + (
                f"; cancelled after {len(report.outcomes)} of {report.total}"
                if report.cancelled
                else ""
            )
            + "\n"
        )
    if report.cancelled:
        err.write("inkseal: import cancelled; the files listed were handled completely\n")
    return EXIT_FAILED if report.failed or report.cancelled else EXIT_OK


def _cmd_attach(lib: Any, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inkseal.library.evidence import attach_files

    with _cancellable() as cancel:
        report = attach_files(
            lib, args.id, args.paths, args.role, reference=args.reference, cancel=cancel
        )
    if args.json:
        _print_json([o.to_json() for o in report.outcomes], out)
    else:
        for o in report.outcomes:
            if o.status == "added":
                out.write(f"attached   file {o.file_id} as {o.role}  {_safe(o.path)}\n")
            elif o.status == "duplicate":
                out.write(f"already    file {o.file_id}  {_safe(o.path)}\n")
            else:
                out.write(f"failed     {_safe(o.path)}: {_safe(o.reason or '')}\n")
            for w in o.warnings:
                out.write(f"           warning: {_safe(w)}\n")
        out.write(
            f"{report.added} attached, {report.duplicates} already there, {report.failed} failed\n"
        )
    if report.cancelled:
        err.write("inkseal: attach cancelled; the files listed were handled completely\n")
    return EXIT_FAILED if report.failed or report.cancelled else EXIT_OK


def _cmd_files(lib: Any, args: argparse.Namespace, out: TextIO) -> int:
    from inkseal.library import evidence

    result: dict[str, Any] = {"file_id": args.file_id}
    if args.command == "detach":
        detached = evidence.detach_file(lib, args.file_id)
        result["work_id"] = detached.work_id
        result["detached"] = True
        text = f"file {args.file_id} detached from work #{detached.work_id}"
    else:
        result["previous_role"] = evidence.set_role(lib, args.file_id, args.role)
        result["role"] = args.role
        text = f"file {args.file_id} is now {args.role} (was {result['previous_role']})"
    if args.json:
        _print_json(result, out)
    else:
        out.write(text + "\n")
    return EXIT_OK


def _cmd_link(lib: Any, args: argparse.Namespace, out: TextIO) -> int:
    from inkseal.library.history import link_words
    from inkseal.library.links import link_works, links_of, unlink_works

    if args.remove:
        changed = unlink_works(lib, args.id, args.other, args.kind)
    else:
        changed = link_works(lib, args.id, args.other, args.kind)
    links = links_of(lib, args.id)
    if args.json:
        _print_json({"id": args.id, "changed": changed, "links": [x.to_json() for x in links]}, out)
        return EXIT_OK
    verb = "unlinked" if args.remove else "linked"
    out.write(f"#{args.id} {verb if changed else 'unchanged'}\n")
    for x in links:
        out.write(f"  {link_words(x.kind, x.direction)} #{x.other_id} {_safe(x.other_title)}\n")
    return EXIT_OK


def _cmd_history(lib: Any, args: argparse.Namespace, out: TextIO) -> int:
    from inkseal.library.history import describe_event
    from inkseal.library.works import get_work

    w = get_work(lib, args.id)
    if args.json:
        _print_json(
            [{**e.to_json(), "description": describe_event(e.kind, e.payload)} for e in w.history],
            out,
        )
        return EXIT_OK
    out.write(f"#{w.id}  {_safe(w.title)}\n")
    for e in w.history:
        out.write(f"  {e.at:%Y-%m-%d %H:%M:%S}  {_safe(describe_event(e.kind, e.payload))}\n")
    return EXIT_OK


def _cmd_verify(lib: Any, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inkseal.library.verify import verify_library

    show_progress = err.isatty() and not args.json

    def on_progress(done: int, total: int) -> None:
        if show_progress:
            err.write(f"\rverifying {done}/{total}")
            err.flush()

    try:
        with _cancellable() as cancel:
            report = verify_library(lib, progress=on_progress, cancel=cancel)
    finally:
        if show_progress:
            err.write("\n")
    if args.json:
        _print_json(report.to_json(), out)
    else:
        out.write(_safe_lines(report.summary()) + "\n")
    return EXIT_OK if report.ok else EXIT_FAILED


PASSPHRASE_ENV = "INKSEAL_PASSPHRASE"


def _passphrase(err: TextIO, prompt: str, *, confirm: bool = False) -> str | None:
    """The identity's passphrase: $INKSEAL_PASSPHRASE, else asked on a terminal, else none."""
    import os

    if PASSPHRASE_ENV in os.environ:
        return os.environ[PASSPHRASE_ENV] or None
    if not sys.stdin.isatty():
        return None
    import getpass

    first = getpass.getpass(prompt)
    if confirm and first and getpass.getpass("again: ") != first:
        raise UsageError("the passphrases differ")
    return first or None


def _cmd_report(lib: Any, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pathlib import Path

    from inkseal.library.errors import InvalidInput
    from inkseal.reports.manifest import ReportOptions
    from inkseal.reports.report import make_report

    target = Path(args.output)
    if target.exists() and not args.force:
        raise InvalidInput(f"{target} exists; choose another name or pass --force")
    kind = "portfolio" if args.portfolio or len(args.ids) > 1 else "certificate"
    options = ReportOptions(
        kind=kind,
        paper=args.paper,
        compact=args.compact,
        include_thumbnails=not args.no_thumbnails,
        include_prompts=not args.no_prompts,
    )
    passphrase = None
    if not args.no_sign:
        from inkseal.library.identity import load_identity

        info = load_identity(lib.root)
        if info is not None and info.encrypted:
            passphrase = _passphrase(err, "passphrase of your signing key: ")
    result = make_report(
        lib, args.ids, target, options=options, sign=not args.no_sign, passphrase=passphrase
    )
    if args.json:
        _print_json(result.to_json(), out)
    else:
        out.write(
            f"{kind} of {len(result.work_ids)} work(s) written to {_safe(str(result.path))}"
            + (" (signed)" if result.signed else " (not signed)")
            + "\n"
        )
        if not result.integrity_ok:
            out.write("warning: some files failed their check; the report says which\n")
    return EXIT_OK


def _cmd_verify_report(args: argparse.Namespace, out: TextIO) -> int:
    from pathlib import Path

    from inkseal.reports.verify_report import verify_report

    trusted = []
    for name in args.trust:
        try:
            trusted.append(Path(name).read_bytes())
        except OSError as exc:
            raise UsageError(f"cannot read the certificate {name}: {exc.strerror}") from exc
    library = None
    if getattr(args, "library", None):
        from inkseal.library.library import open_library

        library = open_library(args.library)
    try:
        check = verify_report(args.pdf, library=library, files=args.files, trusted=trusted)
    finally:
        if library is not None:
            library.close()
    if args.json:
        _print_json(check.to_json(), out)
    else:
        out.write(_safe_lines(check.summary()) + "\n")
    return EXIT_OK if check.ok else EXIT_FAILED


def _cmd_identity(lib: Any, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pathlib import Path

    from inkseal.library import identity

    action = args.identity_command
    info: identity.IdentityInfo | None
    if action is None:
        raise UsageError("identity: choose create, show, export or import (see --help)")
    if action == "create":
        passphrase = _passphrase(
            err, "passphrase for your signing key (empty: none): ", confirm=True
        )
        info = identity.create_identity(
            lib.root, args.name, args.email, passphrase, replace=args.replace
        )
    elif action == "import":
        password = _passphrase(err, "password of the PKCS#12 file: ")
        try:
            data = Path(args.p12).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {args.p12}: {exc.strerror}") from exc
        info = identity.import_pkcs12(lib.root, data, password, replace=args.replace)
    elif action == "export":
        Path(args.output).write_bytes(identity.export_certificate(lib.root))
        info = identity.load_identity(lib.root)
    else:
        info = identity.load_identity(lib.root)
    if info is None:
        err.write("inkseal: this library has no signing identity yet (identity create NAME)\n")
        return EXIT_FAILED
    if args.json:
        _print_json(info.to_json(), out)
    else:
        out.write(
            f"{_safe(info.subject)}\n  issued by {_safe(info.issuer)}\n"
            f"  valid {info.not_before:%Y-%m-%d} to {info.not_after:%Y-%m-%d}\n"
            f"  SHA-256 fingerprint {info.fingerprint_sha256}\n"
            + (
                "  self-made: it proves the same key signed every report, not who you are\n"
                if info.self_made
                else ""
            )
        )
    return EXIT_OK


_TRAINING = {"allowed": False, "not-allowed": True, "unset": None, None: None}


def _cmd_export(lib: Any, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inkseal.library.export import export_copies

    passphrase = None
    if args.c2pa:
        from inkseal.library.identity import load_identity

        info = load_identity(lib.root)
        if info is None:
            raise UsageError(
                "--c2pa needs a signing identity: create one with `identity create NAME`"
            )
        if info.encrypted:
            passphrase = _passphrase(err, "passphrase of your signing key: ")
    outcomes = export_copies(
        lib,
        args.ids,
        args.to,
        c2pa=args.c2pa,
        xmp=args.xmp,
        fmt=args.format,
        passphrase=passphrase,
        overwrite=args.force,
        default_do_not_train=_TRAINING[args.training],
    )
    if args.json:
        _print_json([o.to_json() for o in outcomes], out)
    else:
        for o in outcomes:
            if o.status == "written":
                extra = (" + Content Credentials" if o.signed else "") + (
                    " + XMP" if o.sidecar else ""
                )
                out.write(f"written    #{o.work_id}  {_safe(o.target or '')}{extra}\n")
            else:
                out.write(f"failed     #{o.work_id}: {_safe(o.reason or '')}\n")
    return EXIT_FAILED if any(o.status == "failed" for o in outcomes) else EXIT_OK


def _cmd_catalogue(lib: Any, args: argparse.Namespace, out: TextIO) -> int:
    from pathlib import Path

    from inkseal.library.catalogue_io import export_catalogue, import_catalogue

    if args.command == "export-catalogue":
        n = export_catalogue(lib, Path(args.to))
        if args.json:
            _print_json({"path": args.to, "works": n}, out)
        else:
            out.write(f"{n} work(s) written to {_safe(args.to)}\n")
        return EXIT_OK
    result = import_catalogue(lib, Path(args.catalogue), files_from=Path(args.files))
    if args.json:
        _print_json(result.to_json(), out)
    else:
        out.write(
            f"{result.works_added} work(s) added, {result.works_skipped} skipped (already "
            f"here or without their file)\n"
        )
        for name in result.files_missing:
            out.write(f"missing    {_safe(name)}\n")
        for problem in result.problems:
            out.write(f"problem    {_safe(problem)}\n")
    return EXIT_FAILED if result.files_missing or result.problems else EXIT_OK


def _cmd_training(lib: Any, args: argparse.Namespace, out: TextIO) -> int:
    from inkseal.library.works import set_do_not_train

    value = _TRAINING[args.preference]
    previous = set_do_not_train(lib, args.id, value)
    words = {True: "not-allowed", False: "allowed", None: "unset"}
    if args.json:
        _print_json({"id": args.id, "training": words[value], "previous": words[previous]}, out)
    else:
        out.write(f"#{args.id}  AI training and mining: {words[value]}\n")
    return EXIT_OK


def _safe_lines(text: str) -> str:
    return "\n".join(_safe(line) for line in text.split("\n"))


def _cmd_list(lib: Any, args: argparse.Namespace, out: TextIO) -> int:
    from inkseal.library.works import list_works

    works = list_works(
        lib,
        provenance_class=args.cls,
        tag=args.tag,
        search=args.search,
        needs_review=args.needs_review,
        untagged=args.untagged,
        trashed=args.trash,
        order=args.sort,
    )
    if args.json:
        _print_json([w.to_json() for w in works], out)
        return EXIT_OK
    for w in works:
        tags = f"  [{', '.join(w.tags)}]" if w.tags else ""
        review = "  (needs review)" if w.needs_review else ""
        hint = (
            f"  (files suggest {w.suggested_class})"
            if w.provenance_class == "undeclared" and w.suggested_class not in (None, "unknown")
            else ""
        )
        out.write(f"{w.id:>6}  {w.provenance_class:<12}  {_safe(w.title)}{tags}{review}{hint}\n")
    out.write(f"{len(works)} work(s)\n")
    return EXIT_OK


def _cmd_scan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inkseal.library.scan import scan_paths

    with _cancellable() as cancel:
        results, cancelled = scan_paths(args.paths, cancel=cancel)
    if args.json:
        _print_json([r.to_json() for r in results], out)
    else:
        for r in results:
            out.write(f"{_safe(r.path)}\n")
            if r.error:
                out.write(f"  error:      {_safe(r.error)}\n")
            if r.media_type:
                out.write(f"  {r.media_type} {r.width}x{r.height}  sha256 {r.sha256}\n")
                out.write(f"  suggests:   {r.suggested_class}\n")
            for f in r.findings:
                out.write(
                    f"  signal:     {_describe_finding(f.source, f.tool, f.verdict, f.detail)}\n"
                )
    if cancelled:
        err.write("inkseal: scan cancelled\n")
    return EXIT_FAILED if cancelled or any(r.error for r in results) else EXIT_OK


def _cmd_trash(lib: Any, args: argparse.Namespace, out: TextIO) -> int:
    from inkseal.library import trash

    result: dict[str, Any]
    if args.command == "trash":
        result = {"trashed": trash.trash_works(lib, args.ids)}
    elif args.command == "restore":
        result = {"restored": trash.restore_works(lib, args.ids)}
    else:
        result = {"deleted": trash.empty_trash(lib)}
    if args.json:
        _print_json(result, out)
    else:
        ((key, value),) = result.items()
        n = value if isinstance(value, int) else len(value)
        out.write(f"{n} work(s) {key}\n")
    return EXIT_OK


def _cmd_rescan(lib: Any, args: argparse.Namespace, out: TextIO) -> int:
    from inkseal.library.rescan import rescan

    outcomes = rescan(lib, args.ids or None)
    if args.json:
        _print_json([o.to_json() for o in outcomes], out)
    else:
        for o in outcomes:
            line = f"{o.status:<9}  #{o.work_id} file {o.file_id}"
            line += f": {o.reason}" if o.reason else f"  suggests {o.suggested_class}"
            out.write(line + "\n")
        counts = {
            k: sum(o.status == k for o in outcomes) for k in ("updated", "unchanged", "failed")
        }
        out.write(", ".join(f"{n} {k}" for k, n in counts.items()) + "\n")
    return EXIT_FAILED if any(o.status == "failed" for o in outcomes) else EXIT_OK


def _describe_finding(
    source: str, tool: str | None, verdict: str | None, detail: str | None
) -> str:
    parts = [source]
    if tool:
        parts.append(_safe(tool))
    if verdict:
        parts.append(f"-> {verdict}")
    text = " ".join(parts)
    return f"{text}: {_safe(detail)}" if detail else text


def _safe(text: str) -> str:
    """Text from the library or from files, with control characters made visible."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _cmd_show(lib: Any, args: argparse.Namespace, out: TextIO) -> int:
    from inkseal.library.works import get_work

    w = get_work(lib, args.id, similar=True)
    if args.json:
        _print_json(w.to_json(), out)
        return EXIT_OK
    lines = [f"#{w.id}  {_safe(w.title)}", f"  class:      {w.provenance_class}"]
    if w.suggested_class and w.suggested_class != "unknown":
        lines.append(f"  files say:  {w.suggested_class}")
    for label, value in (
        ("creator", w.creator),
        ("created", w.creation_date),
        ("medium", w.medium),
        ("tags", ", ".join(w.tags)),
        ("review", w.review_reason if w.needs_review else None),
    ):
        if value:
            lines.append(f"  {label + ':':<11} {_safe(value)}")
    if w.declaration:
        d = w.declaration
        lines.append(f"  declared:   {d.provenance_class} at {d.declared_at:%Y-%m-%d %H:%M} UTC")
        for u in d.ai_uses:
            lines.append(
                f"    AI use:   {_safe(u.tool)} ({u.stage}){': ' + _safe(u.note) if u.note else ''}"
            )
        if d.note:
            lines.append(f"    note:     {_safe(d.note)}")
    for f in w.files:
        i = f.info
        size = f"{i.width}x{i.height}" if i.width else "?"
        lines.append(f"  file:       [{i.role}] {_safe(i.original_name)}  {i.media_type} {size}")
        lines.append(f"    sha256:   {i.sha256}")
        lines.append(f"    at:       {_safe(i.path)}{' (referenced)' if i.referenced else ''}")
        md = f.metadata
        for key in ("exif", "xmp", "iptc", "png_text"):
            if md.get(key):
                lines.append(f"    {key + ':':<9} {len(md[key])} entries")
        for warning in md.get("warnings", []):
            lines.append(f"    warning:  {_safe(str(warning))}")
        if i.suggested_class:
            lines.append(f"    suggests: {i.suggested_class}")
        for s in f.signals:
            lines.append(
                f"    signal:   {_describe_finding(s.source, s.tool, s.verdict, s.excerpt)}"
            )
    from inkseal.library.history import describe_event, link_words

    for x in w.links:
        lines.append(
            f"  link:       {link_words(x.kind, x.direction)} #{x.other_id} {_safe(x.other_title)}"
        )
    for wid, title, distance in w.similar:
        lines.append(f"  similar:    #{wid} {_safe(title)} (distance {distance})")
    lines.append("  history:")
    for e in w.history:
        lines.append(f"    {e.at:%Y-%m-%d %H:%M:%S}  {_safe(describe_event(e.kind, e.payload))}")
    out.write("\n".join(lines) + "\n")
    return EXIT_OK


def _cmd_edit(lib: Any, args: argparse.Namespace, out: TextIO) -> int:
    from inkseal.library import works

    result: dict[str, Any] = {"id": args.id}
    if args.command == "tag":
        result["added"] = works.add_tags(lib, args.id, args.tags)
    elif args.command == "untag":
        result["removed"] = works.remove_tags(lib, args.id, args.tags)
    elif args.command == "rename":
        works.rename(lib, args.id, args.title)
        result["title"] = " ".join(args.title.split())
    elif args.command == "declare":
        uses = [works.AIUseInput(t, s, n) for t, s, n in args.ai_uses]
        decl = works.declare(lib, args.id, args.cls, uses, args.note, args.by)
        result["declaration"] = decl.to_json()
    summary = works.get_work(lib, args.id)
    result["class"] = summary.provenance_class
    result["tags"] = list(summary.tags)
    result["title"] = summary.title
    if args.json:
        _print_json(result, out)
    else:
        out.write(
            f"#{args.id}  {_safe(summary.title)}  {summary.provenance_class}"
            + (f"  [{', '.join(summary.tags)}]" if summary.tags else "")
            + "\n"
        )
    return EXIT_OK


def _cmd_backup(lib: Any, args: argparse.Namespace, out: TextIO) -> int:
    from inkseal.library.backup import backup_library

    with _cancellable() as cancel:
        result = backup_library(lib, Path(args.destination), cancelled=lambda: cancel.cancelled)
    if result.cancelled:
        out.write("backup cancelled; nothing was kept\n")
        return EXIT_FAILED
    if args.json:
        out.write(
            json.dumps(
                {
                    "folder": str(result.folder),
                    "works": result.works,
                    "files": result.files,
                    "bytes": result.bytes,
                }
            )
            + "\n"
        )
    else:
        out.write(
            f"backed up {result.works} works and {result.files} files "
            f"({result.bytes / 1e6:.1f} MB) to {result.folder}\n"
        )
    return EXIT_OK


class _Shown:
    """A text stream for people: control characters in what is written (an ANSI escape in a
    file name or a prompt) are written as escapes, so the terminal shows them instead of
    obeying them. JSON output needs none of this: json.dumps escapes them itself."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from inkseal.library.text import escape_controls

        return self._stream.write(escape_controls(text))

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def run(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one command; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except UsageError as exc:
        err.write(f"{exc}\n")
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    if not args.command:
        err.write("inkseal: a command is needed (see --help)\n")
        return EXIT_USAGE
    args.json = getattr(args, "json", False)
    if not args.json:
        out = cast(TextIO, _Shown(out))
    err = cast(TextIO, _Shown(err))
    from inkseal.library.errors import InksealError, InvalidInput
    from inkseal.library.library import open_library

    if args.command == "verify-report":
        # Needs no library: the report carries what is checked. One given is only read.
        try:
            return _cmd_verify_report(args, out)
        except UsageError as exc:
            err.write(f"inkseal: {exc}\n")
            return EXIT_USAGE
        except InksealError as exc:
            err.write(f"inkseal: {exc}\n")
            return EXIT_FAILED
        except Exception as exc:
            err.write(f"inkseal: unexpected error: {type(exc).__name__}: {exc}\n")
            return EXIT_FAILED
    if args.command == "restore-backup":
        # Replaces the library folder, so it must not be opened here.
        from inkseal.library.backup import restore_backup
        from inkseal.library.library import resolve_library_dir

        root = resolve_library_dir(getattr(args, "library", None))
        try:
            aside = restore_backup(Path(args.backup), root)
        except InksealError as exc:
            err.write(f"inkseal: {exc}\n")
            return EXIT_FAILED
        out.write(f"restored {args.backup} to {root}\n")
        if aside.exists():
            out.write(f"the library that was there is kept in {aside}\n")
        return EXIT_OK
    if args.command == "scan":
        # Read-only: needs no library, and never creates one.
        try:
            return _cmd_scan(args, out, err)
        except Exception as exc:
            err.write(f"inkseal: unexpected error: {type(exc).__name__}: {exc}\n")
            return EXIT_FAILED
    try:
        with open_library(getattr(args, "library", None)) as lib:
            if args.command == "import":
                return _cmd_import(lib, args, out, err)
            if args.command == "list":
                return _cmd_list(lib, args, out)
            if args.command == "show":
                return _cmd_show(lib, args, out)
            if args.command == "rescan":
                return _cmd_rescan(lib, args, out)
            if args.command in ("trash", "restore", "empty-trash"):
                return _cmd_trash(lib, args, out)
            if args.command == "attach":
                return _cmd_attach(lib, args, out, err)
            if args.command in ("detach", "role"):
                return _cmd_files(lib, args, out)
            if args.command == "link":
                return _cmd_link(lib, args, out)
            if args.command == "history":
                return _cmd_history(lib, args, out)
            if args.command == "verify":
                return _cmd_verify(lib, args, out, err)
            if args.command == "report":
                return _cmd_report(lib, args, out, err)
            if args.command == "identity":
                return _cmd_identity(lib, args, out, err)
            if args.command == "export":
                return _cmd_export(lib, args, out, err)
            if args.command == "training":
                return _cmd_training(lib, args, out)
            if args.command in ("export-catalogue", "import-catalogue"):
                return _cmd_catalogue(lib, args, out)
            if args.command == "backup":
                return _cmd_backup(lib, args, out)
            return _cmd_edit(lib, args, out)
    except UsageError as exc:
        err.write(f"inkseal: {exc}\n")
        return EXIT_USAGE
    except InvalidInput as exc:
        err.write(f"inkseal: {exc}\n")
        return EXIT_USAGE
    except InksealError as exc:
        err.write(f"inkseal: {exc}\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        err.write("inkseal: interrupted\n")
        return EXIT_FAILED
    except Exception as exc:  # never a traceback for the user; say what broke
        from inkseal.library.errors import BUSY, DISK_FULL, READ_ONLY, describe

        message = describe(exc)
        known = message in (BUSY, DISK_FULL, READ_ONLY) or message.startswith("permission")
        err.write(f"inkseal: {message if known else 'unexpected error: ' + message}\n")
        return EXIT_FAILED
