"""The desk's panels (ipywidgets) over the core API; no rule is decided here."""

from .panel import Panel, demo_banner, in_app
from .plain_problems import show_problems_plainly
from .report_panel import ReportPanel
from .troubleshoot import Case, TroubleshootPanel
from .walkthrough import Walkthrough

__all__ = ["Case", "Panel", "ReportPanel", "TroubleshootPanel", "Walkthrough", "demo_banner",
           "in_app", "show_problems_plainly"]

show_problems_plainly()  # a notebook cell that opens the desk shows a clear line, not a traceback
