"""One customer's diagnosis: a plain result with a text form, a dict and an HTML view."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import pandas as pd

from . import dates, rules
from .customers import CustomerList
from .dates import DEFAULT_TIMEZONE
from .texts import DEFAULT_LANGUAGE, days_text, format_date, language, text
from .views import render


@dataclass(frozen=True)
class Consequence:
    """Something that has stopped, and since when."""

    id: str
    since: dt.date | None
    text: str
    since_text: str


@dataclass(frozen=True)
class Finding:
    """A plan, account or data problem with its remedy in the agent's language."""

    id: str
    severity: str
    field: str
    title: str
    remedy: str


@dataclass(frozen=True)
class Authorization:
    """One of the seller's authorizations (one per region: NA, EU, FE)."""

    region: str
    marketplace: str
    state: str
    state_label: str
    expires_on: dt.date | None
    days_left: int | None
    authorized_source: str
    situation: str

    def to_dict(self) -> dict:
        return {"region": self.region, "marketplace": self.marketplace, "state": self.state,
                "expires_on": self.expires_on.isoformat() if self.expires_on else None,
                "days_left": self.days_left, "authorized_source": self.authorized_source,
                "situation": self.situation}


@dataclass(frozen=True)
class Diagnosis:
    """What is going on with one seller's Amazon token, as of a day.

    >>> from support_kit.customers import load, demo_path
    >>> d = diagnose(load(demo_path()), "C100005", as_of=dt.date(2026, 12, 1), lang="en")
    >>> d.state, d.days_left, [c.id for c in d.consequences][:1]
    ('expired', -40, ['price_sync_stopped'])
    >>> d.situation, d.link_allowed, d.gap_from.isoformat(), d.gap_to.isoformat()
    ('expired', True, '2026-10-22', '2026-12-01')
    """

    customer_id: str
    shop_name: str
    seller_id: str
    marketplace: str
    region: str
    selling_plan: str
    account_type: str
    contact_email: str
    customer_language: str
    state: str
    state_label: str
    authorized_on: dt.date | None
    expires_on: dt.date | None
    days_left: int | None
    reminders_from: dt.date | None
    stopped_since: dt.date | None
    consequences: tuple[Consequence, ...]
    findings: tuple[Finding, ...]
    explanation: str
    as_of: dt.date
    lang: str
    has_refresh_token: bool
    situation: str = "working"
    situation_label: str = ""
    situation_badge: str = "ok"
    next_step: str = ""
    link_allowed: bool = True
    gap_from: dt.date | None = None
    gap_to: dt.date | None = None
    gap_text: str = ""
    #: ``list`` (the customer list's date) or ``desk`` (a renewal confirmed at the desk).
    authorized_source: str = "list"
    #: every authorization of the seller, most urgent first; the fields above describe the
    #: first (a seller may hold one in each of NA, EU and FE)
    authorizations: tuple[Authorization, ...] = ()

    def to_dict(self) -> dict:
        """A JSON-ready dict (dates as ISO, consequences and findings as id lists)."""
        data = asdict(self)
        data["authorizations"] = [a.to_dict() for a in self.authorizations]
        for key, value in data.items():
            if isinstance(value, dt.date):
                data[key] = value.isoformat()
        data["consequences"] = [c.id for c in self.consequences]
        data["consequences_since"] = self.stopped_since.isoformat() if self.stopped_since else None
        data["findings"] = [f.id for f in self.findings]
        data["finding_details"] = [
            {"id": f.id, "severity": f.severity, "title": f.title, "remedy": f.remedy}
            for f in self.findings
        ]
        return data

    def __str__(self) -> str:
        lang = self.lang
        lines = [
            f"{self.shop_name or self.customer_id} ({text(lang, 'ui.customer')} "
            f"{self.customer_id}, {self.seller_id or '-'}, {self.marketplace or '-'})",
            f"{text(lang, 'ui.situation')}: {self.situation_label} [{self.situation}]",
            f"{text(lang, 'ui.state')}: {self.state_label} [{self.state}]",
            self.explanation,
            f"{text(lang, 'ui.next_step')}: {self.next_step}",
        ]
        if self.authorized_on:
            lines.append(f"{text(lang, 'desk.authorized_on')}: "
                         f"{format_date(self.authorized_on, lang)} "
                         f"({text(lang, 'desk.source_' + self.authorized_source)})")
        if self.gap_text:
            lines.append(self.gap_text)
        if self.expires_on:
            lines.append(f"{text(lang, 'ui.expires_on')}: {format_date(self.expires_on, lang)}"
                         f" ({days_text(self.days_left, lang)})")
        if self.consequences:
            lines.append(text(lang, "ui.stopped") + ":")
            lines += [f"  - {c.text} {c.since_text}" for c in self.consequences]
        if self.findings:
            lines.append(text(lang, "ui.findings") + ":")
            for f in self.findings:
                lines.append(f"  - {text(lang, 'severity.' + f.severity)}: {f.title} [{f.id}]")
                lines.append(f"    {f.remedy}")
        if len(self.authorizations) > 1:
            lines.append(text(lang, "desk.authorizations") + ":")
            lines += [f"  - {a.region or '?'} ({a.marketplace or '-'}): {a.state_label}, "
                      f"{text(lang, 'ui.expires_on')} {format_date(a.expires_on, lang) or '–'}"
                      f" ({days_text(a.days_left, lang)})" for a in self.authorizations]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return render("diagnosis.html", d=self)


def diagnose(customers: CustomerList, customer_id: str, as_of: dt.date | None = None,
             lang: str = DEFAULT_LANGUAGE, timezone: str = DEFAULT_TIMEZONE,
             **settings_rules) -> Diagnosis:
    """Diagnose one customer of ``customers`` (a clear error when the id is unknown);
    ``settings_rules`` are :attr:`support_kit.config.Settings.rules`."""
    as_of = as_of or dates.today(timezone)
    frame = rules.authorizations(customers, customer_id, as_of, timezone, **settings_rules)
    return from_frame(frame, as_of, lang)


def from_frame(frame: pd.DataFrame, as_of: dt.date, lang: str = DEFAULT_LANGUAGE) -> Diagnosis:
    """The diagnosis of one customer's evaluated rows (one per authorization): the most
    urgent one on top, every one in ``authorizations``."""
    return from_row(rules.most_urgent(frame), as_of, lang, frame)


def _date(value: object) -> dt.date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


def authorizations(frame: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> tuple[Authorization, ...]:
    """Each evaluated row as an :class:`Authorization`, most urgent first."""
    order = list(rules.SITUATIONS)
    rows = sorted((r for _, r in frame.iterrows()), key=lambda r: (
        order.index(str(r["situation"])),
        float("inf") if pd.isna(r["days_left"]) else int(r["days_left"])))
    return tuple(Authorization(
        region="" if pd.isna(r["region"]) else str(r["region"]),
        marketplace=str(r["country_code"]) if pd.notna(r["country_code"])
        else str(r["marketplace"]),
        state=str(r["state"]), state_label=text(lang, f"state.{r['state']}.label"),
        expires_on=_date(r["expires_on"]),
        days_left=None if pd.isna(r["days_left"]) else int(r["days_left"]),
        authorized_source=str(r.get("authorized_source", "list")),
        situation=str(r["situation"])) for r in rows)


def from_row(row: pd.Series, as_of: dt.date, lang: str = DEFAULT_LANGUAGE,
             every: pd.DataFrame | None = None) -> Diagnosis:
    """Build the diagnosis of one row of :func:`support_kit.rules.evaluate`; ``every`` holds
    all the customer's rows (authorizations), default just this one."""
    lang = language(lang)
    state = str(row["state"])
    dates = {k: _date(row[k]) for k in ("authorized_on", "expires_on", "reminders_from",
                                        "stopped_since", "gap_from", "gap_to")}
    days_left = None if pd.isna(row["days_left"]) else int(row["days_left"])
    shown = {k: format_date(v, lang) for k, v in dates.items()}
    explanation = text(lang, f"state.{state}.explanation", days_left=days_left, **shown)
    consequences = tuple(
        Consequence(c, dates["stopped_since"], text(lang, f"consequence.{c}"),
                    text(lang, "consequence.since", date=shown["stopped_since"]))
        for c in rules.consequences(state)
    )
    findings = tuple(_finding(f, row, lang) for f in rules.finding_ids(row["findings"]))
    situation = rules.SITUATIONS[str(row["situation"])]
    return Diagnosis(
        customer_id=str(row["customer_id"]),
        shop_name=str(row.get("shop_name", "")),
        seller_id=str(row.get("seller_id", "")),
        marketplace=str(row["country_code"]) if pd.notna(row["country_code"])
        else str(row["marketplace"]),
        region="" if pd.isna(row["region"]) else str(row["region"]),
        selling_plan=str(row["selling_plan"]),
        account_type=str(row["account_type"]),
        contact_email=str(row.get("contact_email", "")),
        customer_language=str(row["language"]),
        state=state,
        state_label=text(lang, f"state.{state}.label"),
        days_left=days_left,
        consequences=consequences,
        findings=findings,
        explanation=explanation,
        as_of=as_of,
        lang=lang,
        has_refresh_token=bool(row.get("has_refresh_token", False)),
        situation=situation.id,
        situation_label=text(lang, f"situation.{situation.id}.label"),
        situation_badge=situation.badge,
        next_step=text(lang, f"situation.{situation.id}.next_step",
                       customer_id=row["customer_id"], **shown),
        link_allowed=situation.link_allowed,
        gap_text=gap_text(dates["gap_from"], dates["gap_to"], lang),
        authorized_source=str(row.get("authorized_source", "list")),
        authorizations=authorizations(row.to_frame().T if every is None else every, lang),
        **dates,
    )


def gap_text(gap_from: dt.date | None, gap_to: dt.date | None, lang: str) -> str:
    """The agent's line about the order gap (empty when there is none).

    >>> gap_text(dt.date(2026, 10, 22), dt.date(2026, 12, 1), "en")[:44]
    'Gap in the order import: 22 October 2026 to '
    """
    if gap_from is None or gap_to is None:
        return ""
    return text(lang, "gap.diagnosis", gap_from=format_date(gap_from, lang),
                gap_to=format_date(gap_to, lang), days=(gap_to - gap_from).days)


def _finding(finding_id: str, row: pd.Series, lang: str) -> Finding:
    rule = rules.FINDINGS[finding_id]
    value = str(row.get(rule.field, ""))
    return Finding(finding_id, rule.severity, rule.field,
                   text(lang, f"finding.{finding_id}.title"),
                   text(lang, f"finding.{finding_id}.remedy", value=value))
