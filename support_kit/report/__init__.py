"""The bulk expiry report: frames and summaries, and every file the team lead gets."""

from .build import Report, build_report

__all__ = ["Report", "build_report"]
