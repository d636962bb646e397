"""What a notebook of the kit keeps when it is saved: its cells' sources, ids and tags, and
the kernel it runs on. Outputs, execution counts, widget state and what JupyterLab records
about a run (language version, timings, scroll state) are dropped, so running a notebook
and saving it leaves it byte-identical in git, and no customer data is ever stored in it.

``make lab`` saves through :func:`pre_save_hook` (deploy/lab/jupyter_server_config.py).
"""

from __future__ import annotations

from typing import Any

#: Notebook metadata kept as it is (``language_info`` keeps only its name).
KEPT_METADATA = ("kernelspec",)
#: Cell metadata kept (``tags`` drive papermill, nbval and the app).
KEPT_CELL_METADATA = ("tags",)


def clean(notebook: dict[str, Any]) -> dict[str, Any]:
    """Strip ``notebook`` (an nbformat 4 dict) in place of everything a run adds; returns it.

    >>> nb = {"metadata": {"kernelspec": {"name": "python3"}, "widgets": {},
    ...                    "language_info": {"name": "python", "version": "3.11.2"}},
    ...       "cells": [{"cell_type": "code", "execution_count": 3, "metadata":
    ...                  {"tags": ["parameters"], "scrolled": True}, "outputs": [{}]}]}
    >>> clean(nb)["metadata"], nb["cells"][0]
    ({'kernelspec': {'name': 'python3'}, 'language_info': {'name': 'python'}}, \
{'cell_type': 'code', 'execution_count': None, 'metadata': {'tags': ['parameters']}, 'outputs': []})
    """
    metadata = notebook.get("metadata", {})
    language = metadata.get("language_info", {}).get("name")
    kept = {key: metadata[key] for key in KEPT_METADATA if key in metadata}
    if language:
        kept["language_info"] = {"name": language}
    metadata.clear()
    metadata.update(kept)
    for cell in notebook.get("cells", []):
        cell_metadata = cell.get("metadata", {})
        for key in list(cell_metadata):
            if key not in KEPT_CELL_METADATA:
                del cell_metadata[key]
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return notebook


def pre_save_hook(model: dict[str, Any], **_kwargs: Any) -> None:
    """A Jupyter server ``pre_save_hook``: notebooks are saved clean (see :func:`clean`)."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        clean(model["content"])
