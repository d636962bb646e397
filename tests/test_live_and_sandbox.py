"""The Amazon client against the sandbox over real sockets on 127.0.0.1."""

import json
import socket
import time
from pathlib import Path

import jsonschema
import pytest
import requests

from support_kit.amazon import AmazonClient, AmazonError, default_retry, participations
from support_kit.config import Secret
from support_kit.customers import load
from support_kit.live_check import live_check
from support_kit.sandbox import Faults, Sandbox

from .conftest import AS_OF, CANARY_TOKEN, assert_no_canary, customer, run_cli, write_csv

#: Amazon's own model, kept in the tests with its Apache-2.0 notice (tests/amazon/NOTICE.md).
MODEL = Path(__file__).resolve().parent / "amazon" / "sellers-api-model.json"


@pytest.fixture(scope="module")
def model():
    return json.loads(MODEL.read_text(encoding="utf-8"))


def validate(model, definition, data):
    schema = {"$ref": f"#/definitions/{definition}", "definitions": model["definitions"]}
    jsonschema.validate(data, schema)


def token(client, demo, customer_id):
    return client.refresh_access_token(demo.refresh_tokens.get(customer_id)).access_token


def test_sandbox_responses_validate_against_amazons_model(sandbox, demo, model):
    with AmazonClient(sandbox.client_settings()) as client:
        access = token(client, demo, "C100001")
        account, request_id = client.get_account(access, "EU")
        listed, _ = client.get_marketplace_participations(access, "EU")
    validate(model, "GetAccountResponse", account)
    validate(model, "GetMarketplaceParticipationsResponse", listed)
    assert request_id and account["payload"]["sellingPlan"] == "PROFESSIONAL"
    response = requests.get(f"{sandbox.url}/sellers/v1/account",
                            headers={"x-amz-access-token": "Atza|nope"}, timeout=5)
    assert response.status_code == 403 and response.headers["x-amzn-RequestId"]
    validate(model, "ErrorList", response.json()["errors"])
    assert response.json()["errors"][0]["code"] == "Unauthorized"


def test_sandbox_refuses_get_account_outside_the_eu_as_amazon(sandbox, demo, model):
    with AmazonClient(sandbox.client_settings()) as client:
        access = token(client, demo, "C100008").reveal()  # Australia
    answer = requests.get(f"{sandbox.url}/sellers/v1/account",
                          headers={"x-amz-access-token": access}, timeout=5)
    assert answer.status_code == 403
    validate(model, "ErrorList", answer.json()["errors"])
    listed = requests.get(f"{sandbox.url}/sellers/v1/marketplaceParticipations",
                          headers={"x-amz-access-token": access}, timeout=5)
    assert listed.status_code == 200
    validate(model, "GetMarketplaceParticipationsResponse", listed.json())


def test_client_parses_amazons_own_examples(model):
    paths = model["paths"]
    account = paths["/sellers/v1/account"]["get"]["responses"]["200"]["x-amzn-api-sandbox"]
    listed = paths["/sellers/v1/marketplaceParticipations"]["get"]["responses"]["200"][
        "x-amzn-api-sandbox"]
    example_account = account["static"][0]["response"]["payload"]
    assert example_account["sellingPlan"] == "PROFESSIONAL"
    assert participations(example_account) == ["US"]
    assert participations(listed["static"][0]["response"]["payload"]) == ["US"]


def test_every_live_state(sandbox, demo, tmp_path):
    settings = sandbox.client_settings()
    run = live_check(demo, settings, ["C100001", "C100005", "C100007", "C100009", "C100010"],
                     as_of=AS_OF)
    states = {r.customer_id: r.live_state for r in run.results}
    assert states == {"C100001": "alive", "C100005": "expired", "C100007": "revoked",
                      "C100009": "no_token", "C100010": "alive"}
    individual = next(r for r in run.results if r.customer_id == "C100010")
    assert individual.selling_plan == "INDIVIDUAL" and individual.findings == (
        "plan_not_professional",)
    assert all(r.request_id for r in run.results if r.live_state != "no_token")


def test_wrong_app_secret_is_one_app_problem(sandbox, demo):
    import dataclasses

    wrong = dataclasses.replace(sandbox.client_settings(), lwa_client_secret=Secret("wrong"))
    run = live_check(demo, wrong, as_of=AS_OF, concurrency=2)
    assert run.app_problem and "not a problem of the sellers" in run.app_problem
    assert len(run.results) < 20  # stopped early, not 200 seller problems
    assert {r.live_state for r in run.results} <= {"app_credentials_invalid", "no_token"}


def test_unreachable_endpoint_answers_within_the_timeout(demo, settings):
    import dataclasses

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    dead = dataclasses.replace(settings, lwa_endpoint=f"http://127.0.0.1:{port}/auth/o2/token")
    started = time.monotonic()
    run = live_check(demo, dead, ["C100001"], as_of=AS_OF)
    assert run.results[0].live_state == "unreachable"
    assert time.monotonic() - started < 10


def test_silent_server_times_out_as_unreachable(demo, settings):
    import dataclasses

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/auth/o2/token"
        client = AmazonClient(dataclasses.replace(settings, lwa_endpoint=url), timeout=(1, 0.5),
                              retry=default_retry(total=0))
        started = time.monotonic()
        run = live_check(demo, client.settings, ["C100001"], as_of=AS_OF, client=client)
        assert run.results[0].live_state == "unreachable" and "timed out" in run.results[0].detail
        assert time.monotonic() - started < 5
    finally:
        listener.close()


def test_throttling_is_retried_then_reported(demo, settings):
    with Sandbox(demo, settings, as_of=AS_OF, faults=Faults(throttle_rate=0.5), seed=4) as sb:
        run = live_check(demo, sb.client_settings(), ["C100001", "C100002", "C100003"],
                         as_of=AS_OF)
        assert {r.live_state for r in run.results} == {"alive"}  # retried through 429s
    with Sandbox(demo, settings, as_of=AS_OF, faults=Faults(throttle_rate=1.0)) as sb:
        started = time.monotonic()
        run = live_check(demo, sb.client_settings(), ["C100001"], as_of=AS_OF)
        assert run.results[0].live_state == "throttled"
        assert time.monotonic() - started > 1  # backed off between the retries


def test_server_errors_and_garbage_are_errors_not_states(demo, settings):
    with Sandbox(demo, settings, as_of=AS_OF, faults=Faults(fail_rate=1.0)) as sb:
        client = AmazonClient(sb.client_settings(), retry=default_retry(backoff=0.01))
        result = live_check(demo, client.settings, ["C100001"], as_of=AS_OF,
                            client=client).results[0]
        assert result.live_state == "error" and "ServiceUnavailable" in result.detail
        assert result.request_id
    with Sandbox(demo, settings, as_of=AS_OF, faults=Faults(malformed_rate=1.0)) as sb:
        result = live_check(demo, sb.client_settings(), ["C100001"], as_of=AS_OF).results[0]
        assert result.live_state == "error" and "malformed" in result.detail
    with Sandbox(demo, settings, as_of=AS_OF, faults=Faults(drop_rate=1.0)) as sb:
        result = live_check(demo, sb.client_settings(), ["C100001"], as_of=AS_OF).results[0]
        assert result.live_state == "unreachable"


def test_invalid_grant_is_never_retried(sandbox, demo):
    with AmazonClient(sandbox.client_settings()) as client:
        started = time.monotonic()
        with pytest.raises(AmazonError) as error:
            client.refresh_access_token(Secret("Atzr|unknown"))
    assert error.value.code == "invalid_grant" and time.monotonic() - started < 1


def test_codes_are_single_use(sandbox, demo):
    from support_kit.sandbox import Account

    code = sandbox.issue_code(Account("A1", "S", "PROFESSIONAL", "seller_central", "DE", "C1"),
                              sandbox.redirect_uris[0])
    with AmazonClient(sandbox.client_settings()) as client:
        grant = client.exchange_code(Secret(code), sandbox.redirect_uris[0])
        assert grant.refresh_token.reveal().startswith("Atzr|")
        with pytest.raises(AmazonError, match="invalid_grant"):
            client.exchange_code(Secret(code), sandbox.redirect_uris[0])


def test_canary_secrets_absent_from_live_check_output(tmp_path, capsys, sandbox_env):
    source = write_csv(tmp_path / "c.csv", [customer("1", refresh_token=CANARY_TOKEN),
                                            customer("2")])
    code, out, err = run_cli(capsys, "live-check", "--input", str(source), "--as-of",
                             AS_OF.isoformat(), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [r["live_state"] for r in data["results"]] == ["revoked", "no_token"]
    assert set(data) >= {"results", "app_problem"}
    assert_no_canary(out + err)
    customers = load(source)
    assert_no_canary(repr(customers) + repr(AmazonClient(sandbox_env.client_settings())))
