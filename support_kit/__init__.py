"""support_kit: keep sellers' Amazon connections alive (token expiry, renewal, reports).

>>> import support_kit as sk
>>> customers = sk.load_customers(sk.demo_path())
>>> sk.diagnose(customers, "C100005", as_of=sk.DEMO_AS_OF).state
'expired'
"""

from .config import Secret, Settings, load_settings
from .confirmation import Confirmation
from .customers import CustomerList, demo_path, source_for
from .customers import load as load_customers
from .dates import today
from .demo import DEMO_AS_OF
from .desk import Desk
from .diagnosis import Diagnosis, diagnose
from .errors import SupportKitError
from .keeper import Keeper, LocalKeeper, RemoteKeeper
from .live_check import LiveCheckRun, LiveResult, live_check
from .remind import ReminderPlan, SendResult, plan_reminders, send_reminders
from .renewal import CallbackResult, RenewalLink, renewal_link, verify_callback
from .report import Report, build_report
from .rules import evaluate
from .store import Event, Store, Timeline

__all__ = [
    "DEMO_AS_OF",
    "CallbackResult",
    "Confirmation",
    "CustomerList",
    "Desk",
    "Diagnosis",
    "Event",
    "Keeper",
    "LiveCheckRun",
    "LiveResult",
    "LocalKeeper",
    "ReminderPlan",
    "RemoteKeeper",
    "RenewalLink",
    "Report",
    "Secret",
    "SendResult",
    "Settings",
    "Store",
    "SupportKitError",
    "Timeline",
    "build_report",
    "demo_path",
    "diagnose",
    "evaluate",
    "live_check",
    "load_customers",
    "load_settings",
    "plan_reminders",
    "renewal_link",
    "send_reminders",
    "source_for",
    "today",
    "verify_callback",
]
