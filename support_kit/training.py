"""Training: the renewal step by step, and a scenario quiz whose answers come from the core.

Every scenario derives its expected diagnosis by running the kit's own rules (the state
rules, the callback checks, the live-check classification, the sandbox's consent page), so
a rule that changes changes the quiz with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pandas as pd

from . import consent_errors, rules
from .amazon import AmazonError
from .config import load_settings
from .customers import CustomerList, demo_path, load
from .demo import DEMO_AS_OF
from .diagnosis import from_row
from .exports import write_csv
from .folders import private_folder
from .live_check import check_one, classify_lwa_error
from .renewal import renewal_link, verify_callback
from .texts import DEFAULT_LANGUAGE, format_date, text, value_label


@dataclass(frozen=True)
class Step:
    """One step of the renewal as the seller goes through it, with what can go wrong."""

    id: str
    pitfalls: tuple[str, ...]
    clickthrough: bool = False


STEPS = (
    Step("prepare", ("other_session", "popups_blocked", "primary_user")),
    Step("button", ("popups_blocked",)),
    Step("confirm_prompt", ("popups_blocked",)),
    Step("consent", ("other_session", "individual_plan", "amazon_payments", "draft_md1000",
                     "link_expired"), clickthrough=True),
    Step("done", ()),
)

#: What the desk does next for each diagnosis, and the FAQ passage that says why.
NEXT_ACTION = {
    "expired": ("send_renewal_link", "anytime"),
    "expiring": ("send_renewal_link", "reminders"),
    "revoked": ("send_renewal_link", "consequences"),
    "not_authorized": ("send_renewal_link", "one_year"),
    "valid": ("no_action_needed", "one_year"),
    "unknown": ("fix_customer_data", "data"),
    "bad_authorized_at": ("fix_customer_data", "data"),
    "plan_not_professional": ("switch_to_professional", "professional"),
    "account_not_seller_central": ("use_seller_central_login", "credentials"),
    "seller_mismatch": ("ask_logout_and_retry", "logout"),
    "state_expired": ("send_new_link", "anytime"),
    "code_missing": ("retry_consent", "confirm"),
    "app_credentials_invalid": ("check_app_credentials", "app"),
    "client_secret_expired": ("rotate_client_secret", "app"),
    "MD1000": ("resend_link_with_beta", "draft"),
    "INVALID_ACCESS": ("ask_primary_user", "primary_user"),
    "CONSENT_LIMIT_REACHED": ("pass_to_developer", "limit"),
}
ACTIONS = tuple(dict.fromkeys(action for action, _ in NEXT_ACTION.values()))


def diagnosis_label(diagnosis: str, lang: str) -> str:
    """A short name for a diagnosis id (state, finding, callback problem, live state)."""
    if diagnosis in rules.STATES:
        return text(lang, f"state.{diagnosis}.label")
    if diagnosis in rules.FINDINGS:
        return text(lang, f"finding.{diagnosis}.title")
    if diagnosis in consent_errors.CODES:
        explained = consent_errors.explain(diagnosis, lang)
        return explained.title  # its meaning, not the code the question shows
    return text(lang, f"training.diagnosis.{diagnosis}")


@dataclass
class TrainingWorld:
    """The demo customers, desk settings and day the quiz is set in."""

    customers: CustomerList = field(default_factory=lambda: load(demo_path()))
    as_of: dt.date = DEMO_AS_OF

    def __post_init__(self) -> None:
        self.settings = load_settings({})  # demo keys: nothing real is signed
        self.now = dt.datetime.combine(self.as_of, dt.time(10), tzinfo=dt.UTC)

    def row(self, customer_id: str) -> pd.Series:
        return rules.evaluate_one(self.customers, customer_id, self.as_of)

    def callback_url(self, customer_id: str, seller: str | None = None, code: bool = True
                     ) -> str:
        """The address a seller lands on after the consent page, as they would send it."""
        link = renewal_link(self.customers, customer_id, self.settings, now=self.now)
        state = parse_qs(urlsplit(link.url).query)["state"][0]
        params = {"state": state, "selling_partner_id": seller or str(
            self.row(customer_id)["seller_id"])}
        if code:
            params["spapi_oauth_code"] = "ANtraining"
        return "https://desk.example/callback?" + urlencode(params)

    def callback(self, customer_id: str, seller: str | None = None, code: bool = True,
                 days_later: int = 0, lang: str = DEFAULT_LANGUAGE):
        return verify_callback(self.callback_url(customer_id, seller, code), self.customers,
                               self.settings, lang=lang,
                               now=self.now + dt.timedelta(days=days_later))


Derivation = Callable[[TrainingWorld, str], tuple[str, str]]
#: What the trainee is shown to work the answer out: ``(label, value)`` pairs, no verdict.
Evidence = Callable[[TrainingWorld, str], list[tuple[str, str]]]


def _from_customer(customer_id: str, prefer: tuple[str, ...] = ()) -> Derivation:
    def derive(world: TrainingWorld, lang: str) -> tuple[str, str]:
        row = world.row(customer_id)
        found = [f for f in prefer if f in rules.finding_ids(row["findings"])]
        diagnosis = from_row(row, world.as_of, lang)
        if found:
            finding = next(f for f in diagnosis.findings if f.id == found[0])
            return found[0], finding.remedy
        return diagnosis.state, diagnosis.explanation
    return derive


def _from_callback(customer_id: str, **kwargs: object) -> Derivation:
    def derive(world: TrainingWorld, lang: str) -> tuple[str, str]:
        result = world.callback(customer_id, lang=lang, **kwargs)
        return result.problems[0], result.messages[0]
    return derive


def _shown_date(value: object, raw: object, lang: str) -> str:
    if pd.notna(value):
        return format_date(pd.Timestamp(value).date(), lang)
    return str(raw) if pd.notna(raw) and str(raw).strip() else "–"


def _customer_facts(customer_id: str) -> Evidence:
    """The customer's record as the desk has it (never the state the rules work out)."""
    def facts(world: TrainingWorld, lang: str) -> list[tuple[str, str]]:
        row = world.row(customer_id)
        return [
            (text(lang, "ui.customer"), customer_id),
            (text(lang, "training.fact.shop"), str(row["shop_name"])),
            (text(lang, "training.fact.seller_id"), str(row["seller_id"]) or "–"),
            (text(lang, "ui.marketplace"), str(row["marketplace"])),
            (text(lang, "ui.plan"), value_label(lang, "selling_plan", row["selling_plan"])),
            (text(lang, "ui.account"), value_label(lang, "account_type", row["account_type"])),
            (text(lang, "training.fact.authorized_at"),
             _shown_date(row["authorized_on"], row["authorized_at"], lang)),
            (text(lang, "training.fact.revoked_at"),
             _shown_date(row["revoked_on"], row["revoked_at"], lang)),
            (text(lang, "training.fact.today"), format_date(world.as_of, lang)),
        ]
    return facts


def _callback_facts(customer_id: str, seller: str | None = None, code: bool = True,
                    days_later: int = 0) -> Evidence:
    def facts(world: TrainingWorld, lang: str) -> list[tuple[str, str]]:
        shown = _customer_facts(customer_id)(world, lang)[:3]
        if days_later:
            shown += [(text(lang, "training.fact.link_made"), format_date(world.as_of, lang)),
                      (text(lang, "training.fact.today"),
                       format_date(world.as_of + dt.timedelta(days=days_later), lang))]
        return shown + [(text(lang, "training.fact.callback"),
                         world.callback_url(customer_id, seller, code))]
    return facts


def _amazon_answer(answer: str) -> Evidence:
    def facts(world: TrainingWorld, lang: str) -> list[tuple[str, str]]:
        return [(text(lang, "training.fact.amazon_answer"), answer)]
    return facts


def _amazon_page(code: str) -> Evidence:
    """The code on Amazon's page, as the seller's screenshot shows it (not its meaning)."""
    def facts(world: TrainingWorld, lang: str) -> list[tuple[str, str]]:
        shown = consent_errors.SHOWN.get(code, f"Error {code}")
        return [(text(lang, "training.fact.amazon_page"), f"We're sorry · {shown}")]
    return facts


def _app_credentials(world: TrainingWorld, lang: str) -> tuple[str, str]:
    state = classify_lwa_error(AmazonError(401, "invalid_client", "Client authentication "
                                           "failed"), expired_by_date=False)
    return state, text(lang, f"live_state.{state}")


def _consent_page(sign_in_as: str = "own", **switches: object) -> Derivation:
    """The code the sandbox's consent page shows the seller, explained by the desk."""

    def derive(world: TrainingWorld, lang: str) -> tuple[str, str]:
        import re

        import requests

        from .sandbox import Sandbox

        with Sandbox(world.customers, world.settings, as_of=world.as_of, **switches) as amazon:
            link = renewal_link(world.customers, "C100001", amazon.client_settings(),
                                now=world.now)
            page = requests.get(f"{link.url}&as={sign_in_as}", timeout=10).text
        shown = re.search(r'id="error-code">Error ([^<]+)<', page)
        explained = consent_errors.explain(shown.group(1) if shown else "none", lang)
        return explained.code, explained.remedy

    return derive


def _secret_expired(world: TrainingWorld, lang: str) -> tuple[str, str]:
    from .amazon import AmazonClient
    from .sandbox import Sandbox

    with Sandbox(world.customers, world.settings, as_of=world.as_of,
                 client_secret_expired=True) as amazon, \
            AmazonClient(amazon.client_settings()) as client:
        result = check_one(client, world.row("C100001"),
                           world.customers.refresh_tokens.get("C100001"))
    problem = result.app_problem or result.live_state
    return problem, result.label(lang)


@dataclass(frozen=True)
class Scenario:
    """A quiz question: a situation, and the core call that says what it is."""

    id: str
    customer_id: str | None
    derive: Derivation
    shows: Evidence

    def prompt(self, world: TrainingWorld, lang: str) -> str:
        return text(lang, f"training.scenario.{self.id}", customer_id=self.customer_id or "",
                    as_of=format_date(world.as_of, lang))

    def evidence(self, world: TrainingWorld, lang: str) -> list[tuple[str, str]]:
        """What the question shows: the record, the address or the answer it asks about."""
        return self.shows(world, lang)

    def expected(self, world: TrainingWorld, lang: str = DEFAULT_LANGUAGE
                 ) -> tuple[str, str, str, str]:
        """``(diagnosis, action, reason, faq passage)``, computed by the core."""
        diagnosis, reason = self.derive(world, lang)
        action, faq = NEXT_ACTION[diagnosis]
        return diagnosis, action, reason, text(lang, f"training.faq.{faq}")


def _about_customer(scenario_id: str, customer_id: str, prefer: tuple[str, ...] = ()
                    ) -> Scenario:
    return Scenario(scenario_id, customer_id, _from_customer(customer_id, prefer),
                    _customer_facts(customer_id))


def _about_callback(scenario_id: str, customer_id: str, **kwargs: object) -> Scenario:
    return Scenario(scenario_id, customer_id, _from_callback(customer_id, **kwargs),
                    _callback_facts(customer_id, **kwargs))


SCENARIOS = (
    _about_customer("orders_stopped", "C100005"),
    _about_callback("renewed_but_failing", "C100001", seller="A2OTHERSELLER9X"),
    _about_customer("reminder_mails", "C100002"),
    _about_customer("consent_refused", "C100010", ("plan_not_professional",)),
    _about_customer("payments_login", "C100012", ("account_not_seller_central",)),
    _about_customer("app_removed", "C100007"),
    _about_customer("new_customer", "C100009"),
    _about_callback("old_link", "C100001", days_later=8),
    _about_callback("closed_page", "C100001", code=False),
    _about_customer("bad_date", "C100017", ("bad_authorized_at",)),
    _about_customer("all_fine", "C100001"),
    Scenario("everyone_fails", None, _app_credentials,
             _amazon_answer('HTTP 401 {"error": "invalid_client", '
                            '"error_description": "Client authentication failed"}')),
    Scenario("draft_app", None, _consent_page(draft_app=True), _amazon_page("MD1000")),
    Scenario("not_primary_user", "C100001", _consent_page(sign_in_as="secondary"),
             _amazon_page("INVALID_ACCESS")),
    Scenario("limit_reached", None, _consent_page(consent_error="CONSENT_LIMIT_REACHED"),
             _amazon_page("CONSENT_LIMIT_REACHED")),
    Scenario("secret_expired", None, _secret_expired,
             _amazon_answer('HTTP 403 {"errors": [{"code": "Unauthorized", "details": '
                            '"The LWA secret token you provided has expired"}]}')),
)


@dataclass(frozen=True)
class Answer:
    """One answer of a trainee, with the expected one beside it."""

    scenario: str
    diagnosis: str
    action: str
    expected_diagnosis: str
    expected_action: str

    @property
    def correct(self) -> bool:
        return (self.diagnosis, self.action) == (self.expected_diagnosis,
                                                 self.expected_action)


@dataclass
class Quiz:
    """The quiz state: questions in order, answers so far, the score.

    >>> quiz = Quiz()
    >>> expected = quiz.expectation(0)
    >>> quiz.answer(expected[0], expected[1]).correct, quiz.score
    (True, 1)
    """

    world: TrainingWorld = field(default_factory=TrainingWorld)
    scenarios: tuple[Scenario, ...] = SCENARIOS
    lang: str = DEFAULT_LANGUAGE
    answers: list[Answer] = field(default_factory=list)
    _expected: dict[int, tuple[str, str, str, str]] = field(default_factory=dict)

    @property
    def position(self) -> int:
        return len(self.answers)

    @property
    def finished(self) -> bool:
        return self.position >= len(self.scenarios)

    @property
    def score(self) -> int:
        return sum(a.correct for a in self.answers)

    def expectation(self, index: int) -> tuple[str, str, str, str]:
        if index not in self._expected:
            self._expected[index] = self.scenarios[index].expected(self.world, self.lang)
        return self._expected[index]

    def forget_expectations(self) -> None:
        """Work the expectations out again (in a new language); the answers stay."""
        self._expected.clear()

    def diagnosis_options(self) -> list[tuple[str, str]]:
        ids = dict.fromkeys(NEXT_ACTION)
        return [(diagnosis_label(d, self.lang), d) for d in ids]

    def action_options(self) -> list[tuple[str, str]]:
        return [(text(self.lang, f"training.action.{a}"), a) for a in ACTIONS]

    def answer(self, diagnosis: str, action: str) -> Answer:
        """Record the answer to the current question and return it with the expectation."""
        expected = self.expectation(self.position)
        answer = Answer(self.scenarios[self.position].id, diagnosis, action, expected[0],
                        expected[1])
        self.answers.append(answer)
        return answer

    def save(self, path: Path, trainee: str) -> Path:
        """Write the answers to a small CSV for the trainer."""
        frame = pd.DataFrame([{"trainee": trainee, "scenario": a.scenario,
                               "diagnosis": a.diagnosis, "action": a.action,
                               "expected_diagnosis": a.expected_diagnosis,
                               "expected_action": a.expected_action, "correct": a.correct}
                              for a in self.answers],
                             columns=["trainee", "scenario", "diagnosis", "action",
                                      "expected_diagnosis", "expected_action", "correct"])
        private_folder(Path(path).parent)
        return write_csv(frame, Path(path))
