"""The report notebook runs unattended under papermill, with other parameters."""

import json
from pathlib import Path

import papermill

from .conftest import customer, write_csv

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_report_notebook_with_other_parameters(tmp_path):
    rows = [customer("1", authorized_at="2025-12-20"), customer("2", authorized_at=""),
            customer("3", authorized_at="2024-01-01", language="en")]
    source = write_csv(tmp_path / "c.csv", rows)
    out_dir = tmp_path / "weekly"
    executed = papermill.execute_notebook(
        str(NOTEBOOKS / "02_expiry_report.ipynb"), str(tmp_path / "run.ipynb"),
        parameters={"customers_path": str(source), "as_of": "2026-12-15",
                    "out_dir": str(out_dir), "language": "en"},
        cwd=str(tmp_path), progress_bar=False, kernel_name="python3")
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["as_of"] == "2026-12-15" and summary["rows_loaded"] == 3
    assert summary["buckets"]["<=7"] == 1 and summary["by_state"]["not_authorized"] == 1
    for name in ("report.xlsx", "report.html", "expiry_timeline.png", "reminders.csv"):
        assert (out_dir / name).is_file()
    text = "".join(output.get("text", "") + output.get("data", {}).get("text/plain", "")
                   for cell in executed.cells for output in cell.get("outputs", []))
    assert "As of 15 December 2026: 3 customers, 0 rows rejected" in text  # in English
