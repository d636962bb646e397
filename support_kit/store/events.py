"""What the desk did: one event per step of the renewal loop, never with a secret in it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from ..control_chars import for_list
from ..customers import mask_secrets
from ..errors import SupportKitError
from ..texts import DEFAULT_LANGUAGE, format_date, text
from ..views import render

EVENT_KINDS = ("link_made", "contacted", "reminder_sent", "live_checked", "callback_verified",
               "callback_rejected", "renewed", "note")
#: Events that say the seller was reached (the team lead's "who was contacted").
CONTACT_KINDS = ("contacted", "reminder_sent")
#: Events whose text is the desk's last word on a customer (the report's "last note").
NOTE_KINDS = ("note", "contacted")


def utc(value: dt.datetime | None = None) -> dt.datetime:
    """``value`` (default: now) as an aware UTC time."""
    value = value or dt.datetime.now(dt.UTC)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


@dataclass(frozen=True)
class Event:
    """One step done at the desk.

    >>> e = Event("note", "C1", agent="anna", detail={"text": "called, no answer"},
    ...           at=dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC))
    >>> e.to_dict()["at"], e.label("en")
    ('2026-12-01T09:30:00+00:00', 'Note')
    """

    kind: str
    customer_id: str
    seller_id: str | None = None
    detail: dict = field(default_factory=dict)
    agent: str = ""
    at: dt.datetime = field(default_factory=utc)

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise SupportKitError(f"Unknown event kind {self.kind!r}; one of "
                                  + ", ".join(EVENT_KINDS))

    def detail_json(self) -> str:
        """The detail as stored: JSON, with anything token-like masked."""
        return mask_secrets(json.dumps(self.detail, ensure_ascii=False, sort_keys=True,
                                       default=str))

    def to_dict(self) -> dict:
        return {"at": utc(self.at).isoformat(), "agent": self.agent, "kind": self.kind,
                "customer_id": self.customer_id, "seller_id": self.seller_id,
                "detail": self.detail}

    def label(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return text(lang, f"event.{self.kind}")

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The detail in one line for people: the note's text, the state, the problems."""
        d = self.detail
        parts = [str(d[k]) for k in ("text", "state", "channel") if d.get(k)]
        if d.get("live_state"):
            parts.append(text(lang, f"live_state.{d['live_state']}"))
        parts += [", ".join(d["problems"])] if d.get("problems") else []
        if d.get("valid_until"):
            day = dt.date.fromisoformat(str(d["valid_until"])[:10])
            parts.append(text(lang, "event.valid_until", date=format_date(day, lang)))
        if d.get("seller_new"):
            parts.append(text(lang, "event.seller_new", seller_id=self.seller_id or ""))
        return " · ".join(parts)


@dataclass(frozen=True)
class Timeline:
    """One customer's events, newest first, with a text form and an HTML view."""

    customer_id: str
    events: tuple[Event, ...]
    lang: str = DEFAULT_LANGUAGE
    timezone: str = "Europe/Berlin"

    def __iter__(self):
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def local(self, event: Event) -> str:
        from zoneinfo import ZoneInfo

        return utc(event.at).astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d %H:%M")

    def to_list(self) -> list[dict]:
        return [e.to_dict() for e in self.events]

    def __str__(self) -> str:
        if not self.events:
            return text(self.lang, "event.none", customer_id=self.customer_id)
        return "\n".join(f"{self.local(e)}  {for_list(e.agent):<12} {e.label(self.lang):<22} "
                         f"{for_list(e.summary(self.lang))}".rstrip() for e in self.events)

    def _repr_html_(self) -> str:
        return render("timeline.html", timeline=self, lang=self.lang)
