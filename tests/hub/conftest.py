"""One desk team's hub per test module: `make hub`'s JupyterHub in the trial mode, its real
proxy, the keeper service, the store on the suite's PostgreSQL server, and Chromium.

The secrets it is started with are canaries (tests/conftest.py): no agent's process or page
may show them."""

from __future__ import annotations

import uuid

import pytest
from cryptography.fernet import Fernet

from ..conftest import CANARY_SECRET, CANARY_STATE_KEY, CANARY_TOKEN, customer, write_csv
from ..store_fixtures import _admin
from .hub_server import PASSWORD, Hub, hub_tools_or_skip

CANARY_DB_PASSWORD = "CANARY-db-password-3d7e"  # noqa: S105
CANARY_TOKEN_KEY = Fernet.generate_key().decode()  # a real key: the keeper opens the store
AGENTS, ADMINS = ("anna", "ben"), ("lea",)


@pytest.fixture(scope="module")
def hub_store(postgres_server):
    """A fresh PostgreSQL database; the URL carries a password (a canary: the test server
    trusts 127.0.0.1, so any password is accepted)."""
    name = f"hub_{uuid.uuid4().hex[:12]}"
    _admin(postgres_server, f'CREATE DATABASE "{name}"')
    yield postgres_server.replace("postgres@", f"postgres:{CANARY_DB_PASSWORD}@") + f"/{name}"
    _admin(postgres_server, f'DROP DATABASE "{name}" WITH (FORCE)')


def team_settings(workdir, store_url: str) -> dict[str, str]:
    """The settings of a desk team (canary secrets), and its customer list in ``workdir``."""
    customers = write_csv(workdir / "customers.csv", [
        customer("C200001", shop_name="Anna's Laden", refresh_token=CANARY_TOKEN),
        customer("C200002", shop_name="Bens Bude", authorized_at="2025-12-01"),
        customer("C200003", shop_name="Dritter Shop")])
    return {
        "SUPPORT_KIT_STORE": store_url,
        "SUPPORT_KIT_CUSTOMERS": str(customers),
        "SUPPORT_KIT_TOKEN_KEY": CANARY_TOKEN_KEY,
        "SUPPORT_KIT_APP_ID": "amzn1.sp.solution.11111111-2222-4333-8444-555555555555",
        "SUPPORT_KIT_STATE_SECRET": CANARY_STATE_KEY,
        "SUPPORT_KIT_LWA_CLIENT_ID": "amzn1.application-oa2-client.test",
        "SUPPORT_KIT_LWA_CLIENT_SECRET": CANARY_SECRET,
        # no Amazon is reached in these tests: nothing listens on port 9
        "SUPPORT_KIT_LWA_ENDPOINT": "http://127.0.0.1:9/auth/o2/token",
        "SUPPORT_KIT_SPAPI_ENDPOINT": "http://127.0.0.1:9",
        "SUPPORT_KIT_SELLER_CENTRAL_URL": "http://127.0.0.1:9",
    }


@pytest.fixture(scope="module")
def hub(tmp_path_factory, hub_store):
    """The hub as an administrator starts it: `make hub` with the secrets in its environment,
    in the trial mode (one shared password, every server as the hub's own system user)."""
    hub_tools_or_skip()
    workdir = tmp_path_factory.mktemp("hub")
    server = Hub(workdir, team_settings(workdir, hub_store) | {
        "SUPPORT_KIT_HUB_TRIAL_PASSWORD": PASSWORD,
        "SUPPORT_KIT_HUB_USERS": ",".join(AGENTS),
        "SUPPORT_KIT_HUB_ADMINS": ",".join(ADMINS)})
    yield server
    server.stop()


SECRET_VALUES = (CANARY_SECRET, CANARY_STATE_KEY, CANARY_TOKEN, CANARY_TOKEN_KEY,
                 CANARY_DB_PASSWORD, PASSWORD)
