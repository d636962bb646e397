"""support_kit: keep sellers' Amazon connections alive (token expiry, renewal, reports).

>>> import support_kit as sk
>>> customers = sk.load_customers(sk.demo_path())
>>> sk.diagnose(customers, "C100005", as_of=sk.DEMO_AS_OF).state
'expired'
"""

from .config import Secret, Settings, load_settings
from .customers import CustomerList, demo_path, source_for
from .customers import load as load_customers
from .demo import DEMO_AS_OF
from .diagnosis import Diagnosis, diagnose
from .errors import SupportKitError
from .report import Report, build_report
from .rules import evaluate, today

__all__ = [
    "DEMO_AS_OF",
    "CustomerList",
    "Diagnosis",
    "Report",
    "Secret",
    "Settings",
    "SupportKitError",
    "build_report",
    "demo_path",
    "diagnose",
    "evaluate",
    "load_customers",
    "load_settings",
    "source_for",
    "today",
]
