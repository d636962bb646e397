"""The app as a desk team hosts it (`make app`'s deploy/voila.json): kernels of closed pages
are freed, several agents work at once, and no data file can be fetched by URL."""

import time
from pathlib import Path

import pytest
import requests

from ..conftest import CANARY_TOKEN
from .test_desk_voila import SEARCH, open_desk, search
from .voila_server import Voila, culling_after

PAGES = 4
AGENTS = 4
IDLE = 10  # the culler's idle timeout here (the app's is 60 s: the same rule, sooner)


@pytest.fixture(scope="module")
def voila(tmp_path_factory, browser):
    """`make app`'s configuration, its culler ending idle kernels of closed pages sooner."""
    server = Voila(tmp_path_factory.mktemp("hosting"), config=culling_after(IDLE, 2))
    yield server
    server.stop()


def resting(voila, timeout=90.0) -> int:
    """The number of kernels once the preheated pool is full and no page is open."""
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        seen = (seen + [len(voila.kernels())])[-6:]
        if len(seen) == 6 and len(set(seen)) == 1 and seen[0] >= 3:
            return seen[0]
        time.sleep(1)
    raise AssertionError(f"the kernel pool did not settle: {seen}")


def test_closed_pages_free_their_kernels_and_agents_work_at_once(browser, voila):
    rest = resting(voila)
    stays = browser.new_context().new_page()  # an agent who keeps the page open all along
    open_desk(stays, voila)
    for _ in range(PAGES):
        context = browser.new_context()
        page = context.new_page()
        open_desk(page, voila)
        context.close()

    contexts = [browser.new_context() for _ in range(AGENTS)]
    pages = [context.new_page() for context in contexts]
    for page in pages:
        open_desk(page, voila)
    for number, page in enumerate(pages, start=1):  # every agent acts before any result
        search(page, f"C10000{number}")
        page.click("button:has-text('Erneuerungslink')")
    for number, page in enumerate(pages, start=1):
        page.wait_for_selector(f".sk-diagnosis[data-customer-id='C10000{number}']")
        page.wait_for_selector(".sk-link-url")
        assert page.locator(".sk-status.sk-error").count() == 0
        assert page.input_value(SEARCH) == f"C10000{number}"
    busy = len(voila.kernels())
    assert busy >= rest + AGENTS
    for context in contexts:
        context.close()

    deadline = time.monotonic() + IDLE + 60
    while len(voila.kernels()) > rest + 1 and time.monotonic() < deadline:
        time.sleep(1)
    assert len(voila.kernels()) <= rest + 1, f"{len(voila.kernels())} kernels, resting {rest}"
    search(stays, "C100008")  # the page left open still works after the others were freed
    stays.wait_for_selector(".sk-diagnosis[data-customer-id='C100008']")
    stays.context.close()


def test_no_data_file_is_served(voila, page):
    root = voila.workdir
    planted = {"customers.csv": f"customer_id,refresh_token\nC1,{CANARY_TOKEN}\n",
               ".exports/customers.json": f'[{{"refresh_token": "{CANARY_TOKEN}"}}]',
               "report/reminders.csv": f"email,renewal_link\na@b.c,{CANARY_TOKEN}\n"}
    for name, content in planted.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)

    page.goto(voila.url("02_expiry_report.ipynb"), timeout=120_000)  # the page writes files
    page.wait_for_selector(".sk-report", timeout=120_000)
    page.click("button:has-text('report.xlsx')")
    page.wait_for_selector("a.sk-file[data-kind='xlsx']")
    with page.expect_download() as download:  # the page's own export still downloads
        page.click("a.sk-file[data-kind='xlsx']")
    assert download.value.suggested_filename == "report.xlsx"
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"
    written = [p for p in voila.data.rglob("*") if p.is_file()]
    # opening the page wrote nothing; the button wrote the workbook (not into the app's folder)
    assert "report.xlsx" in {p.name for p in written}
    assert not any(p.suffix != ".ipynb" for p in root.rglob("*") if p.is_file()
                   and p.relative_to(root).as_posix() not in planted)

    base = f"http://127.0.0.1:{voila.port}"
    names = [*planted, *(p.name for p in written), "report/report.xlsx",
             *(str(p) for p in written)]
    for name in names:
        for prefix in ("/voila/files/", "/files/", "/voila/render/", "/voila/static/",
                       "/voila/api/contents/", "/api/contents/", "/voila/tree/"):
            response = requests.get(base + prefix + name.lstrip("/"), timeout=30)
            assert CANARY_TOKEN not in response.text, prefix + name
            assert response.status_code >= 400 or not response.content.startswith(b"PK")
            if prefix in ("/voila/files/", "/files/"):
                assert response.status_code in (403, 404), prefix + name
