"""A report is written whole or not at all: a full disk, a read-only disk or a killed run
leave the earlier report as it was; symlinks in --out are replaced, never written through."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from .conftest import AS_OF, customer, run_cli, write_csv

FIRST_AS_OF, SECOND_AS_OF = AS_OF.isoformat(), "2026-12-08"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _report(capsys, out: Path, as_of: str, *extra: str) -> tuple[int, str]:
    code, _, err = run_cli(capsys, "report", *extra, "--as-of", as_of, "--out", str(out))
    return code, err


@pytest.fixture
def small_disk(small_disk):
    """A 3 MB tmpfs mounted for the test (needs root, as in CI)."""
    return small_disk("3m")


def test_full_disk_leaves_the_earlier_report_untouched(small_disk, capsys):
    out = small_disk / "report"
    assert _report(capsys, out, FIRST_AS_OF)[0] == 0
    earlier = _snapshot(out)
    free = os.statvfs(small_disk)
    filler = small_disk / "filler"
    with open(filler, "wb") as fh:  # leave about 40 KB: less than a report needs
        fh.write(b"\0" * max(free.f_bavail * free.f_frsize - 40_000, 0))

    code, err = _report(capsys, out, SECOND_AS_OF)

    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "the disk is full" in err and str(out) in err and "unchanged" in err
    assert _snapshot(out) == earlier  # the earlier report, byte for byte
    assert json.loads((out / "summary.json").read_text())["as_of"] == FIRST_AS_OF
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "report"]  # no leftovers


def test_read_only_disk_is_one_line(small_disk, capsys):
    out = small_disk / "report"
    assert _report(capsys, out, FIRST_AS_OF)[0] == 0
    earlier = _snapshot(out)
    remounted = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)],
                               capture_output=True, text=True, check=False)
    if remounted.returncode != 0:
        pytest.skip(f"cannot remount read-only: {remounted.stderr.strip()}")
    code, err = _report(capsys, out, SECOND_AS_OF)
    assert code == 2 and "read-only" in err and err.count("\n") == 1
    assert _snapshot(out) == earlier


def test_symlinks_in_out_are_replaced_not_followed(tmp_path, capsys):
    out = tmp_path / "report"
    out.mkdir()
    victims = {name: tmp_path / f"victim-{name}" for name in ("report.html", "summary.json")}
    for name, victim in victims.items():
        victim.write_text("precious, not part of the report")
        (out / name).symlink_to(victim)
    (out / "notes.txt").write_text("the team lead's own file")

    assert _report(capsys, out, FIRST_AS_OF)[0] == 0

    for name, victim in victims.items():
        assert victim.read_text() == "precious, not part of the report"
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 100
    assert (out / "notes.txt").read_text() == "the team lead's own file"
    assert json.loads((out / "summary.json").read_text())["as_of"] == FIRST_AS_OF


def test_a_killed_run_leaves_the_earlier_report_and_the_next_run_cleans_up(tmp_path, capsys):
    source = write_csv(tmp_path / "many.csv",
                       [customer(str(i), authorized_at="2026-01-05") for i in range(30_000)])
    out = tmp_path / "report"
    assert _report(capsys, out, FIRST_AS_OF, str(source))[0] == 0
    earlier = _snapshot(out)
    run = subprocess.Popen([sys.executable, "-m", "support_kit.cli", "report", str(source),
                            "--as-of", SECOND_AS_OF, "--out", str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=os.environ | {"PYTHONPATH": str(Path(__file__).parents[1])},
                           start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".report.support-kit-writing-*/*")):
        assert run.poll() is None and time.monotonic() < deadline, "no staging folder seen"
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGKILL)  # the writer and its forked workbook process
    run.wait()

    assert _snapshot(out) == earlier
    assert list(tmp_path.glob(".report.support-kit-writing-*"))  # the killed run's folder
    assert _report(capsys, out, SECOND_AS_OF, str(source))[0] == 0
    assert not list(tmp_path.glob(".report.support-kit-writing-*"))
    assert json.loads((out / "summary.json").read_text())["as_of"] == SECOND_AS_OF


def test_out_that_does_not_exist_appears_whole(tmp_path, capsys):
    out = tmp_path / "new" / f"report-{uuid.uuid4().hex[:6]}"
    code, stdout, _ = run_cli(capsys, "report", "--as-of", FIRST_AS_OF, "--out", str(out))
    assert code == 0
    written = sorted(Path(line).name for line in stdout.splitlines())
    assert sorted(p.name for p in out.iterdir()) == written
    assert {"summary.json", "customers.csv", "report.xlsx", "report.html"} <= set(written)
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def test_ctrl_c_during_a_large_report_stops_quietly_and_leaves_nothing(tmp_path):
    """Ctrl-C reaches the whole process group: the writer and its forked workbook writer."""
    source = write_csv(tmp_path / "many.csv",
                       [customer(str(i), authorized_at="2026-01-05") for i in range(30_000)])
    out = tmp_path / "report"
    run = subprocess.Popen([sys.executable, "-m", "support_kit.cli", "report", str(source),
                            "--as-of", FIRST_AS_OF, "--out", str(out)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=os.environ | {"PYTHONPATH": str(Path(__file__).parents[1])},
                           start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob(".report.support-kit-writing-*/*"))) < 2:
        assert run.poll() is None and time.monotonic() < deadline, "no staging folder seen"
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    _, err = run.communicate(timeout=30)
    assert run.returncode == 130 and err == "support-kit: stopped.\n"
    assert not out.exists() and not list(tmp_path.glob(".report.support-kit-writing-*"))


def test_the_customer_file_inside_out_is_never_replaced(tmp_path, capsys):
    out = tmp_path / "report"
    out.mkdir()
    source = write_csv(out / "customers.csv", [customer("1"), customer("2")])
    before = source.read_bytes()
    code, err = _report(capsys, out, FIRST_AS_OF, str(source))
    assert code == 2 and "would replace the customer file" in err and "--out" in err
    assert source.read_bytes() == before and [p.name for p in out.iterdir()] == ["customers.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no staging left


def test_a_folder_where_a_file_belongs_leaves_the_earlier_report_whole(tmp_path, capsys):
    out = tmp_path / "report"
    assert _report(capsys, out, FIRST_AS_OF)[0] == 0
    (out / "summary.json").unlink()
    (out / "summary.json").mkdir()  # someone made a folder where the report's file goes
    (out / "summary.json" / "keep.txt").write_text("mine")
    earlier = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    code, err = _report(capsys, out, SECOND_AS_OF)
    assert code == 2 and err.count("\n") == 1 and "a folder is in the way" in err
    assert "summary.json" in err and "earlier report there is unchanged" in err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == earlier
    assert (out / "summary.json" / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no staging left
