"""Copy the notebooks for nbval, with the expected outputs of their checked cells filled in.

Notebooks are stored without outputs (they could carry customer data). The outputs that
nbval compares live here instead, in ``notebook_outputs.json``: one list per notebook, one
entry per cell tagged ``nbval-check-output``, in order. Usage: ``nbval_prepare.py OUT_DIR``.
"""

import json
import shutil
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).parent
NOTEBOOKS = HERE.parent / "notebooks"


#: Parameters pinned for the checked run (the stored notebooks default to "today").
PINNED = {"as_of": '"2026-12-01"'}


def pin(source: str) -> str:
    lines = []
    for line in source.splitlines():
        name = line.split("=", 1)[0].strip()
        if name in PINNED and "=" in line:
            comment = line.split("#", 1)[1] if "#" in line else ""
            line = f"{name} = {PINNED[name]}" + (f"  #{comment}" if comment else "")
        lines.append(line)
    return "\n".join(lines)


def prepare(out_dir: Path) -> list[Path]:
    expected = json.loads((HERE / "notebook_outputs.json").read_text(encoding="utf-8"))
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    written = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        outputs = iter(expected.get(path.name, []))
        for cell in notebook.cells:
            if "parameters" in cell.metadata.get("tags", []):
                cell.source = pin(cell.source)
            if "nbval-check-output" in cell.metadata.get("tags", []):
                text = next(outputs)
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
                cell.execution_count = 1
        target = out_dir / path.name
        nbformat.write(notebook, target)
        written.append(target)
    return written


if __name__ == "__main__":
    for written in prepare(Path(sys.argv[1])):
        print(written)
