"""What must be settled before Gradio is imported: no telemetry, nothing from the Hugging Face
Hub, and no type-stub writing at import.

Gradio's component metaclass, for every component class it defines at import, reads that
class's source file, parses it and writes or rewrites a ``.pyi`` stub beside it in
site-packages (a tool for Gradio's own developers: ``gradio.component_meta.
create_or_modify_pyi``). That was 1.3 of the 2.9 CPU s ``import gradio`` took here, paid at
every ``artgan studio`` start (issue 17's first-gallery time). Nothing at run time reads those
stubs, so the studio replaces the function by one that does nothing, as the module is loaded.
Where a Gradio version has no such function, or Gradio is already imported, nothing changes.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys

STUB_WRITER_MODULE = "gradio.component_meta"
STUB_WRITER = "create_or_modify_pyi"


def prepare_gradio_import() -> None:
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # no telemetry
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing from the Hugging Face Hub either
    if STUB_WRITER_MODULE not in sys.modules and not any(
        isinstance(finder, _SkipStubWriting) for finder in sys.meta_path
    ):
        sys.meta_path.insert(0, _SkipStubWriting())


def _write_no_stub(*args, **kwargs) -> None:
    """Stands in for Gradio's stub writer: the page needs no ``.pyi`` files."""


class _SkipStubWriting(importlib.abc.MetaPathFinder):
    """Finds ``gradio.component_meta`` as Python would, and once it has run, swaps its stub
    writer for ``_write_no_stub`` (before any component class is defined)."""

    def find_spec(self, name, path, target=None):
        if name != STUB_WRITER_MODULE:
            return None
        sys.meta_path.remove(self)  # once
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            if callable(getattr(module, STUB_WRITER, None)):
                setattr(module, STUB_WRITER, _write_no_stub)

        spec.loader.exec_module = exec_module
        return spec
