"""A Sphinx extension: execute the notebook pages in parallel into MyST-NB's execution cache before Sphinx reads
them.

With ``execute_notebooks: cache`` MyST-NB executes each page while Sphinx reads it, one page after another. When
Sphinx has decided which pages to read (``env-before-read-docs``), this extension reads each of them exactly as
MyST-NB will (the file as Sphinx opens it, the ``source-read`` handlers, MyST-NB's reader with the build's MyST
configuration, the kernel aliases and the notebook's own MyST-NB settings), leaves out what MyST-NB would not
execute through the cache (another execution mode, an exclude pattern) or already finds in it, and executes the
rest ``os.cpu_count()`` at a time with jupyter-cache's ``single_nb_execution``, as MyST-NB does: same kernel,
timeout, ``allow_errors``, working directory and environment (the kernels are started by the Sphinx process).
Each page that succeeds is stored in the cache MyST-NB will read, as MyST-NB stores it; MyST-NB then logs "Using
cached notebook" for it and executes nothing.

A page that fails (or whose kernel dies) is not stored: MyST-NB executes it again as it reads it and reports the
error exactly as without this extension ("Executing notebook failed", the cell and the exception). The
extension itself only logs information, never a warning, so that it cannot fail a ``-W`` build.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from tempfile import TemporaryDirectory
from typing import Any

#: Prefix of every line this extension logs (the tests look for it in the build log).
LOG_PREFIX = "parallel execution:"


@dataclass
class Page:
    """A page MyST-NB would execute through its cache: the notebook as MyST-NB reads it, and the settings it
    would execute it with."""

    docname: str
    path: Path
    notebook: Any  # nbformat.NotebookNode
    nb_config: Any  # myst_nb.core.config.NbParserConfig
    read_fmt: dict | None


def read_page(app, docname: str) -> Page | None:
    """The notebook of ``docname`` as MyST-NB's parser (``myst_nb.sphinx_.Parser.parse``) will hold it when it
    asks the cache, or None for a page MyST-NB will not execute through the cache (not a notebook, another
    execution mode, excluded by a pattern)."""
    from docutils.io import FileInput
    from myst_nb.core.nb_to_tokens import nb_node_to_dict
    from myst_nb.core.read import create_nb_reader

    env = app.env
    path = env.doc2path(docname)
    if not Path(path).is_file():
        return None
    # As Sphinx reads a source (sphinx.io.SphinxStandaloneReader.read_source): the file, then "source-read".
    try:
        content = [FileInput(source_path=str(path), encoding=app.config.source_encoding).read()]
    except UnicodeError:
        return None  # Sphinx reports it when it reads the page
    app.events.emit("source-read", docname, content)
    nb_config = env.mystnb_config
    reader = create_nb_reader(str(path), env.myst_config, nb_config, content[0])
    if reader is None:
        return None
    notebook = reader.read(content[0])
    # As Parser.parse: the kernel name may be replaced by an alias; the notebook's metadata may override settings.
    kernel_name = notebook.metadata.get("kernelspec", {}).get("name", None)
    if kernel_name is not None and nb_config.kernel_rgx_aliases:
        for rgx, alias in nb_config.kernel_rgx_aliases.items():
            if re.fullmatch(rgx, kernel_name):
                notebook.metadata["kernelspec"]["name"] = alias
                break
    if nb_config.metadata_key in notebook.metadata:
        overrides = nb_node_to_dict(notebook.metadata[nb_config.metadata_key])
        overrides.pop("output_folder", None)
        try:
            nb_config = nb_config.copy(**overrides)
        except Exception:
            return None  # MyST-NB warns about it when it reads the page
    # As myst_nb.core.execute.create_client: only the cache mode, and not a page excluded by a pattern.
    if nb_config.execution_mode != "cache":
        return None
    posix_path = PurePosixPath(Path(path).as_posix())
    if any(posix_path.match(pattern) for pattern in nb_config.execution_excludepatterns or ()):
        return None
    return Page(docname, Path(path), notebook, nb_config, reader.read_fmt)


def _cache(page: Page):
    from jupyter_cache import get_cache

    return get_cache(page.nb_config.execution_cache_path or ".jupyter_cache")


def is_cached(page: Page) -> bool:
    """Whether MyST-NB will find the page in its cache (``NotebookClientCache.start_client``)."""
    with suppress(KeyError):
        _cache(page).match_cache_notebook(page.notebook)
        return True
    return False


def execute(page: Page):
    """Execute the page's notebook in place as ``NotebookClientCache.start_client`` does; jupyter-cache's
    ``ExecutionResult`` (``err`` is set for a cell's error or a timeout; other failures raise)."""
    from jupyter_cache.executors.utils import single_nb_execution

    config = page.nb_config
    cwd_context = TemporaryDirectory() if config.execution_in_temp else nullcontext(str(page.path.parent))
    with cwd_context as cwd:
        return single_nb_execution(page.notebook, cwd=os.path.abspath(cwd), allow_errors=config.execution_allow_errors,
                                   timeout=config.execution_timeout, meta_override=True)


def store(page: Page, result) -> int:
    """Store an executed page in MyST-NB's cache as ``NotebookClientCache.start_client`` does; the record's id."""
    from jupyter_cache.base import CacheBundleIn

    cache = _cache(page)
    if page.read_fmt is not None:
        stage_record = cache.add_nb_to_project(str(page.path), read_data=page.read_fmt)
    else:
        stage_record = cache.add_nb_to_project(str(page.path))
    record = cache.cache_notebook_bundle(
        CacheBundleIn(page.notebook, stage_record.uri, data={"execution_seconds": result.time}),
        check_validity=False, overwrite=True)
    return record.pk


def jobs(pages: int) -> int:
    """How many pages execute at once: one per CPU this process may run on, never more than there are pages."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(pages, available))


def preexecute(app, env, docnames: list[str]) -> None:
    """``env-before-read-docs``: execute the pages about to be read that MyST-NB would execute, in parallel,
    and store those that succeed in its cache."""
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    if getattr(env, "mystnb_config", None) is None or env.mystnb_config.execution_mode != "cache":
        return
    def to_execute(docname: str) -> Page | None:
        # A page this extension cannot read or look up is left to MyST-NB, which reports its problem on the page.
        try:
            page = read_page(app, docname)
            return page if page is not None and not is_cached(page) else None
        except Exception as error:
            logger.info(f"{LOG_PREFIX} {docname} left to MyST-NB ({type(error).__name__}: {error})")
            return None

    pages = [page for page in map(to_execute, docnames) if page is not None]
    if not pages:
        return

    def finish(page: Page, future) -> None:
        try:
            result = future.result()
            failure = type(result.err).__name__ if result.err is not None else None
        except Exception as error:  # a kernel that died or did not start: MyST-NB will meet it too
            result, failure = None, type(error).__name__
        if failure is None:
            try:
                pk = store(page, result)
            except Exception as error:  # the cache could not take it: MyST-NB executes the page as it reads it
                logger.info(f"{LOG_PREFIX} {page.docname} not cached ({type(error).__name__}: {error})")
                return
            logger.info(f"{LOG_PREFIX} {page.docname} executed in {result.time:.2f} seconds, cached: ID={pk}")
        else:
            logger.info(f"{LOG_PREFIX} {page.docname} failed ({failure}); not cached, so it is executed "
                        "again as it is read and its error reported there")

    alone = [page for page in pages if page.docname in app.config.preexecute_alone]
    # Longest first, so that no long page starts last and runs on alone (a page's source size stands in for its
    # execution time, which the cache, emptied whenever an input changes, does not remember).
    shared = sorted((page for page in pages if page not in alone), key=lambda page: page.path.stat().st_size,
                    reverse=True)
    workers = jobs(len(shared))
    logger.info(f"{LOG_PREFIX} executing {len(pages)} notebook page(s): {len(alone)} alone, then the rest "
                f"{workers} at a time")
    # Kernels run in their own processes; the threads only drive them. The cache (SQLite) is written here only.
    with ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="preexecute") as pool:
        for page in alone:  # a page that measures the machine runs with no other kernel beside it
            finish(page, pool.submit(execute, page))
        futures = {pool.submit(execute, page): page for page in shared}
        for future in as_completed(futures):
            finish(futures[future], future)


def setup(app):
    app.setup_extension("myst_nb")
    # Pages executed one at a time before the others (docnames): the measured page benchmarks this machine.
    app.add_config_value("preexecute_alone", [], "env")
    app.connect("env-before-read-docs", preexecute)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
