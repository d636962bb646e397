"""A desk team on JupyterHub, end to end: two agents log in with Chromium through the real
proxy, work on the troubleshooting page, and every event is written by the keeper under
the hub's name for them; agents' servers serve the desk pages only and hold no secret."""

from __future__ import annotations

import pytest
import requests

from support_kit.store import Store

from ..browser.conftest import screenshot
from .conftest import SECRET_VALUES
from .hub_server import log_in, run_in_page_kernel

SEARCH = "input[placeholder='Kundennummer, Shopname, Verkäufer-ID oder E-Mail']"
NOTE = "textarea[placeholder='Was wurde besprochen oder vereinbart?']"


KERNEL_SOCKETS: dict[str, str] = {}  # each agent's desk page: its kernel's websocket


def desk_page(browser, hub, user):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    KERNEL_SOCKETS[user] = log_in(page, hub, user).kernel_socket
    return page


@pytest.fixture(scope="module")
def anna(browser, hub):
    page = desk_page(browser, hub, "anna")
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def ben(browser, hub):
    page = desk_page(browser, hub, "ben")
    yield page
    page.context.close()


def open_customer(page, customer_id: str) -> None:
    page.fill(SEARCH, customer_id)
    page.press(SEARCH, "Tab")
    page.wait_for_selector(f".sk-diagnosis[data-customer-id='{customer_id}']")


def assert_no_secret(text: str, where: str) -> None:
    for value in SECRET_VALUES:
        assert value not in text, f"a secret ({value[:8]}...) is in {where}"


def test_agents_land_on_the_troubleshooting_page(anna, ben, hub):
    for user, page in (("anna", anna), ("ben", ben)):
        assert page.url.startswith(f"{hub.url}/user/{user}/voila/render/"
                                   "01_troubleshoot_seller.ipynb")
        assert page.locator(".sk-demo-banner").count() == 0  # the team's customers
        assert_no_secret(page.content(), f"{user}'s page")
    screenshot(anna, "hub-anna-desk")


def test_annas_note_is_in_bens_timeline_under_her_name(anna, ben, hub_store):
    open_customer(anna, "C200001")
    anna.fill(NOTE, "Seller called, renewal link by mail tomorrow")
    anna.click("button:has-text('Notiz speichern')")
    anna.wait_for_selector(".sk-event[data-kind='note']")

    open_customer(ben, "C200002")  # ben looks at another customer first, then at anna's
    open_customer(ben, "C200001")
    row = ben.locator(".sk-event[data-kind='note']").first
    row.wait_for()
    assert "anna" in row.inner_text()
    assert "renewal link by mail tomorrow" in row.inner_text()
    screenshot(ben, "hub-ben-sees-annas-note")
    notes = [e for e in Store.open(hub_store).history("C200001") if e.kind == "note"]
    assert [e.agent for e in notes] == ["anna"]


def test_a_link_ben_makes_is_recorded_for_ben(ben, hub_store):
    open_customer(ben, "C200002")
    ben.click("button:has-text('Erneuerungslink')")
    ben.wait_for_selector(".sk-link-url")
    assert "/apps/authorize/consent?" in ben.input_value(".sk-link-url")
    assert_no_secret(ben.content(), "ben's page with the link")
    made = [e for e in Store.open(hub_store).history("C200002") if e.kind == "link_made"]
    assert [e.agent for e in made] == ["ben"]


def test_a_forged_agent_name_in_annas_kernel_changes_nothing(anna, hub_store):
    """Code anna runs in her own page's kernel (anyone holding the page can) claims to be
    ben: the keeper records the note under the hub's name for her token."""
    output = run_in_page_kernel(anna, KERNEL_SOCKETS["anna"], (
        "import os\n"
        "os.environ['SUPPORT_KIT_AGENT'] = 'ben'\n"
        "from support_kit.desk import Desk\n"
        "desk = Desk.open()\n"
        "desk.note('C200003', 'written in the kernel, signed ben')\n"
        "print(type(desk.keeper).__name__, desk.agent)\n"))
    assert output.split() == ["RemoteKeeper", "anna"], output
    notes = [e for e in Store.open(hub_store).history("C200003") if e.kind == "note"]
    assert [(e.agent, e.detail["text"]) for e in notes] == [
        ("anna", "written in the kernel, signed ben")]


def test_no_secret_in_any_agents_server_or_kernel(anna, ben, hub):
    """/proc/<pid>/environ of every process the hub started: agents' servers and the kernels
    of their open pages hold no SUPPORT_KIT_ secret, nor do the proxy and the idle culler.
    The keeper's own process does hold them (the check reads what it should)."""
    import psutil

    agents_processes, others, keeper_env = [], [], None
    for process in hub.processes():
        try:
            env, cmdline = process.environ(), " ".join(process.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if "support_kit.keeper.service" in cmdline:
            keeper_env = env
            continue
        if env.get("JUPYTERHUB_USER") in ("anna", "ben"):
            agents_processes.append(cmdline)
        else:
            others.append(cmdline)
        leaked = sorted(name for name in env if name.startswith("SUPPORT_KIT_")
                        and name not in ("SUPPORT_KIT_KEEPER_URL", "SUPPORT_KIT_DESK_ROLE"))
        assert not leaked, f"{cmdline[:80]} holds {leaked}"
        assert_no_secret("\n".join(env.values()), f"the environment of {cmdline[:80]}")
    assert any("jupyterhub-singleuser" in c for c in agents_processes)
    assert sum("ipykernel" in c for c in agents_processes) >= 2  # anna's and ben's pages
    assert any("configurable-http-proxy" in c for c in others)
    assert any("jupyterhub_idle_culler" in c for c in others)
    assert keeper_env is not None and keeper_env["SUPPORT_KIT_LWA_CLIENT_SECRET"]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "lab"),
    ("GET", "tree"),
    ("POST", "api/terminals"),
    ("GET", "api/terminals"),
    ("GET", "api/contents"),
    ("GET", "api/contents/01_troubleshoot_seller.ipynb"),
    ("GET", "files/01_troubleshoot_seller.ipynb"),
    ("GET", "api/kernels"),
    ("POST", "api/kernels"),
    ("GET", "api/sessions"),
    ("GET", "voila/tree"),
    ("GET", "voila/files/01_troubleshoot_seller.ipynb"),
    ("POST", "api/shutdown"),
])
def test_agents_get_the_desk_pages_only(anna, hub, method, path):
    """Refused for the agent logged in (her own cookies, her own server)."""
    answer = anna.context.request.fetch(f"{hub.url}/user/anna/{path}", method=method,
                                        max_redirects=0)
    assert answer.status in (403, 404), f"{method} {path}: {answer.status}"


def test_desk_admins_keep_jupyterlab(browser, hub):
    """The same refusals do not come from a broken server: lea (desk-admins) gets Lab."""
    context = browser.new_context()
    page = context.new_page()
    try:
        log_in(page, hub, "lea")
        answer = context.request.get(f"{hub.url}/user/lea/lab")
        assert answer.status == 200 and "JupyterLab" in answer.text()
        assert context.request.post(f"{hub.url}/user/lea/api/terminals").status in (403, 404)
    finally:
        context.close()


@pytest.mark.parametrize("token", [None, "not-a-hub-token"])
def test_the_keeper_refuses_calls_without_a_valid_hub_token(hub, hub_store, token):
    before = len(Store.open(hub_store).history("C200003"))
    headers = {"Authorization": f"token {token}"} if token else {}
    for base in (hub.keeper_url, f"{hub.url}/services/keeper"):  # direct and via the proxy
        answer = requests.post(f"{base}/api/events", headers=headers, timeout=10,
                               json={"kind": "note", "customer_id": "C200003",
                                     "detail": {"text": "forged"}})
        assert answer.status_code in (401, 403), answer.text
        assert_no_secret(answer.text, "the keeper's answer")
        answer = requests.get(f"{base}/api/customers", headers=headers, timeout=10)
        assert answer.status_code in (401, 403)
    assert len(Store.open(hub_store).history("C200003")) == before


def test_the_hub_culls_idle_servers(hub):
    """The idle culler runs as the hub's service and may list and stop servers (its role):
    its first rounds are answered, not refused."""
    culler = [" ".join(p.cmdline()) for p in hub.processes()
              if "jupyterhub_idle_culler" in " ".join(p.cmdline())]
    assert culler and "--timeout=3600" in culler[0]
    log = hub.log.read_text(errors="replace")
    assert "200 GET /hub/api/users" in log and "(idle-culler@" in log
    assert "403 GET /hub/api/users" not in log
