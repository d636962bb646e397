"""The desk's memory: events, renewals (refresh tokens encrypted) and report runs, in SQL.

>>> from support_kit.store import Store, Event
>>> store = Store.open("sqlite://")
>>> _ = store.record(Event("contacted", "C100005", agent="anna", detail={"text": "called"}))
>>> store.history("C100005")[0].kind
'contacted'
"""

from .engine import default_url, masked
from .events import CONTACT_KINDS, EVENT_KINDS, NOTE_KINDS, Event, Timeline, utc
from .sends import SendClaim
from .store import Renewal, Store
from .vault import TokenVault

__all__ = ["CONTACT_KINDS", "EVENT_KINDS", "NOTE_KINDS", "Event", "Renewal", "SendClaim", "Store",
           "Timeline", "TokenVault", "default_url", "masked", "utc"]
