"""``make book``: validate the data, build the book aside, and put the new site in place only on success.

``python -m lib.build`` (what ``make book`` runs) does four things, in order:

1. **Validate first.** The data directory (``$BOOK_DATA_DIR``, else ``data/``) goes through the same checks as
   ``python -m lib check-data``, and ``$BOOK_HARDWARE`` / ``$BOOK_MODEL`` must name rows of it. A problem stops
   here with the short report, before anything executes.
2. **Key the execution cache on every input a page reads.** Jupyter Book's cache keys on code cells only, so
   the driver hashes the content of ``lib/``, the repository's ``data/``, every file of the reader's data
   directory, the ``BOOK_*`` environment variables, the book's configuration (``_config.yml``, the table of
   contents, the bibliography), the pages' scripts and styles (``_static/``) and the pinned requirements. When
   the digest differs from the one stored with the last good build, every page is executed again; when it is
   the same, the cached pages are reused.
3. **Build aside.** Jupyter Book writes into ``.book-stage/_build`` (a copy of the last good build when the
   inputs are unchanged, else empty). The full log goes to ``_build.log``. The notebook pages it will execute
   run side by side first, one per CPU core, into its execution cache (the Sphinx extension
   :mod:`lib.preexecute`); it then finds each page there, and executes itself only a page that failed.
4. **Swap on success.** Only a build that succeeds (warnings are errors) replaces ``_build``. A failed build
   leaves the previous site as it was, removes the half-built one, and ends its output with the first real
   error: the page, the cell line that raised, and the exception.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parent.parent
STAGE = ".book-stage"  # under the output folder; Jupyter Book appends "_build"
LOG = "_build.log"
DIGEST = ".inputs"  # inside _build: the digest of the inputs the build was made from

#: Repository inputs every page may read (besides the reader's data directory and the environment).
#: _static: the pages' scripts and styles (a build that reuses the last site would keep their old built copies).
REPOSITORY_INPUTS = ("lib", "data", "bib", "_static", "_config.yml", "references.bib", "requirements.txt",
                     "pyproject.toml")


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(p for p in path.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith((".pyc", ".pyo")))


def inputs_digest(root: Path = ROOT, toc: Path | None = None, data_dir: Path | None = None,
                  environ: dict[str, str] | None = None) -> str:
    """A SHA-256 of the content of every input a page reads: ``lib/``, ``data/``, the book's configuration,
    the table of contents ``toc`` (default ``_toc.yml``), every file of ``data_dir`` (the reader's data
    directory) and every ``BOOK_*`` variable of ``environ``. Any edit to any of them changes it."""
    environ = dict(os.environ if environ is None else environ)
    digest = hashlib.sha256()

    def add(label: str, path: Path) -> None:
        digest.update(label.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())

    for name in REPOSITORY_INPUTS:
        for path in _files(root / name):
            add(f"repo:{path.relative_to(root)}", path)
    toc = toc or root / "_toc.yml"
    add("toc", toc)
    if data_dir is not None:
        directory = Path(data_dir).resolve()
        digest.update(f"data_dir:{directory}".encode())
        for path in _files(directory):
            add(f"reader:{path.relative_to(directory)}", path)
    for key in sorted(k for k in environ if k.startswith("BOOK_")):
        digest.update(f"env:{key}={environ[key]}".encode() + b"\0")
    return digest.hexdigest()[:20]


def check_inputs(environ: dict[str, str] | None = None) -> list[str]:
    """The ``check-data`` report for the data directory and selection the build will use: an empty list when
    everything is valid, else lines to print (every problem, then the selection errors)."""
    from . import data

    environ = dict(os.environ if environ is None else environ)
    try:
        directory = data.resolve_data_dir(environ.get(data.ENV_DATA_DIR) or None)
    except data.DataError as error:
        return [str(p) for p in error.problems]
    problems = data.check_data_dir(directory)
    if problems:
        return [f"{len(problems)} problem(s) in {directory}:"] + [f"  - {p}" for p in problems]
    data.clear_cache()
    try:
        data.get_hardware(environ.get(data.ENV_HARDWARE) or None, directory)
        data.get_model(environ.get(data.ENV_MODEL) or None, directory)
    except data.SelectionError as error:
        return [f"error: {error}"]
    return []


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FAILED = re.compile(r"^(?P<page>\S+?): WARNING: Executing notebook failed")
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b")
_SPHINX_PROBLEM = re.compile(r"^(?P<where>\S+?): (WARNING|ERROR|CRITICAL|SEVERE): (?P<what>.*)$")


def first_error(log: str, root: Path = ROOT) -> str:
    """The first real error of a failed Jupyter Book build log, as a few lines for a reader: the page, the
    line of the cell that raised (with its neighbours, as IPython shows them) and the exception with its
    message. Falls back to the first Sphinx warning or error, then to the log's last lines."""
    lines = _ANSI.sub("", log).splitlines()

    def short(path: str) -> str:
        return path.replace(f"{root}/", "")

    for i, line in enumerate(lines):
        match = _FAILED.match(line)
        if not match:
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip().endswith("[mystnb.exec]")),
                   len(lines))
        block = lines[i + 1:end]
        start = next((k for k, b in enumerate(block) if re.match(r"^-{20,}$", b.strip())
                      and k + 1 < len(block) and "Traceback" in block[k + 1]), None)
        tb = block[start + 2:] if start is not None else block
        cell = []
        at = next((k for k, b in enumerate(tb) if b.startswith("Cell In[")), None)
        if at is not None:
            for b in tb[at:]:
                if not b.strip():
                    break
                cell.append(b)
        exc_at = max((k for k, b in enumerate(tb) if _EXCEPTION.match(b)), default=None)
        exception = [b for b in tb[exc_at:] if b.strip()] if exc_at is not None else tb[-5:]
        return "\n".join([f"First error, executing {short(match['page'])}:"] + [f"  {c}" for c in cell]
                         + exception)
    for line in lines:
        match = _SPHINX_PROBLEM.match(line)
        if match and "IPKernelApp" not in line:
            return f"First error, in {short(match['where'])}:\n{match['what']}"
    return "\n".join(["The build failed; the log ends:"] + lines[-20:])


def _failed_pages(log: str, root: Path = ROOT) -> list[str]:
    return [m["page"].replace(f"{root}/", "") for m in map(_FAILED.match, _ANSI.sub("", log).splitlines()) if m]


def jupyter_book_command(root: Path, stage_root: Path, toc: Path | None) -> list[str]:
    """The Jupyter Book command that builds the book into ``stage_root/_build`` (warnings are errors)."""
    executable = Path(sys.executable).with_name("jupyter-book")
    command = [str(executable) if executable.exists() else "jupyter-book", "build", str(root),
               "--path-output", str(stage_root), "--warningiserror", "--keep-going", "--builder", "html"]
    if toc is not None:
        command += ["--toc", str(toc)]
    return command


def build(root: Path = ROOT, output: Path | None = None, toc: Path | None = None,
          command: Sequence[str] | None = None, out=sys.stdout) -> int:
    """Validate, build aside and swap (see the module docstring). Returns 0 on success, 2 for invalid data or
    selection (nothing built), 1 for a failed build (the previous site untouched)."""
    output = (output or root).resolve()
    final, stage_root, log_path = output / "_build", output / STAGE, output / LOG
    stage = stage_root / "_build"
    toc = toc.resolve() if toc else None

    report = check_inputs()
    if report:
        print("make book: the data are invalid; nothing was built (fix them, or check with "
              "`python -m lib check-data DIR`).", file=out)
        print("\n".join(report), file=out)
        return 2

    from . import data

    reader_dir = data.resolve_data_dir()
    digest = inputs_digest(root, toc, None if reader_dir == data.DEFAULT_DATA_DIR else reader_dir)
    reuse = (final / DIGEST).is_file() and (final / DIGEST).read_text().strip() == digest
    shutil.rmtree(stage_root, ignore_errors=True)
    if reuse:
        shutil.copytree(final, stage, symlinks=True)
    print("make book: " + ("inputs unchanged, reusing executed pages" if reuse else
                           "inputs changed (or no previous build): executing every page")
          + f"; log in {LOG if output == root.resolve() else log_path}", file=out,
          flush=True)
    command = list(command or jupyter_book_command(root, stage_root, toc))
    with log_path.open("w", encoding="utf-8") as log:
        result = subprocess.run(command, cwd=root, stdout=log, stderr=subprocess.STDOUT)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    if result.returncode != 0 or not (stage / "html" / "index.html").is_file():
        shutil.rmtree(stage_root, ignore_errors=True)
        failed = _failed_pages(text, root)
        kept = "the previous site in _build/html is unchanged" if (final / "html").is_dir() else "no site was written"
        print(f"make book: the build failed ({len(failed)} page(s) failed to execute"
              + (f": {', '.join(failed)}" if failed else "") + f"); {kept}. Full log: {log_path}", file=out)
        print(first_error(text, root), file=out)
        return 1
    (stage / DIGEST).write_text(digest + "\n")
    old = output / "_build.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    stage.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(stage_root, ignore_errors=True)
    print(f"make book: done. Open {final / 'html' / 'index.html'} in a browser.", file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.build", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="folder that receives _build/ (default: the repository)")
    parser.add_argument("--toc", type=Path, help="a table of contents other than _toc.yml (tests build one page)")
    args = parser.parse_args(argv)
    return build(ROOT, args.output, args.toc)


if __name__ == "__main__":
    sys.exit(main())
