"""The bulk expiry report: the model (:mod:`.model`, built by :func:`build_report`), and
every file the team lead gets (:mod:`.files`: the workbook's :mod:`.sheets`, the web
:mod:`.page`, the CSV files, the chart and the reminders' mail merge)."""

from . import files
from .build import build_report
from .model import Report

__all__ = ["Report", "build_report", "files"]
