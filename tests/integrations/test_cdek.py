"""The CDEK v2 client against the fake (over a real local port and in-process)."""
from __future__ import annotations

import httpx
import pytest

from integrations.cdek import from_settings
from integrations.cdek.client import CdekClient
from integrations.cdek.fake import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, FakeCdek
from integrations.ports.delivery import (
    TARIFF_COURIER, TARIFF_PICKUP_POINT, DeliveryPort, Location, Package, TariffRequest,
)
from integrations.fakeserver import LocalServer
from integrations.http import ProviderAuthError, ProviderRejected, ProviderUnavailable, RetryPolicy


def _request(tariff: int, to_code: int = 137, weight: int = 1200) -> TariffRequest:
    return TariffRequest(tariff_code=tariff, from_location=Location(code=44), to_location=Location(code=to_code),
                         packages=[Package(weight=weight, length=30, width=20, height=15)])


def _inproc(fake: FakeCdek, **kwargs) -> CdekClient:
    kwargs.setdefault("sleep", lambda s: None)
    return CdekClient(base_url="http://cdek.test", client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET,
                      transport=httpx.MockTransport(fake.handle), **kwargs)


@pytest.fixture
def served():
    fake = FakeCdek()
    with LocalServer(fake.handle) as server:
        yield fake, server


def test_over_http_the_client_gets_one_token_and_quotes_both_tariffs(served):
    # given the fake CDEK on a local port
    fake, server = served
    client = CdekClient(base_url=server.base_url, client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET)
    # when a pickup-point and a courier quote are asked
    pickup = client.calculate_tariff(_request(TARIFF_PICKUP_POINT))
    courier = client.calculate_tariff(_request(TARIFF_COURIER))
    # then both are priced in kopecks, courier dearer, with one token fetched for both
    assert pickup.total_minor == 36000 and pickup.period_min == 2 and pickup.weight_calc == 1200
    assert courier.total_minor > pickup.total_minor
    assert fake.count("/v2/oauth/token") == 1
    # and the body was CDEK's own shape
    assert fake.bodies[0]["tariff_code"] == 136 and fake.bodies[0]["from_location"] == {"code": 44}
    assert fake.bodies[0]["packages"][0]["weight"] == 1200
    client.close()


def test_over_http_pickup_points_of_a_city(served):
    fake, server = served
    client = CdekClient(base_url=server.base_url, client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET)
    points = client.delivery_points(city_code=44)
    assert len(points) == 5
    assert points[0].code == "MSK101" and points[0].location.city == "Москва"
    assert isinstance(points[0].location.latitude, float)
    assert client.delivery_points(city_code=999) == []


def test_an_expired_token_is_refreshed_once_on_401():
    # given a client with a cached token that CDEK then forgets
    fake = FakeCdek()
    client = _inproc(fake)
    client.calculate_tariff(_request(TARIFF_PICKUP_POINT))
    fake.expire_tokens()
    # when the next call is made
    quote = client.calculate_tariff(_request(TARIFF_PICKUP_POINT))
    # then it got a 401, fetched a new token and succeeded
    assert quote.total_minor == 36000
    assert fake.count("/v2/oauth/token") == 2
    assert fake.count("/v2/calculator/tariff") == 3


def test_a_token_is_fetched_again_when_it_expires_by_the_clock():
    fake = FakeCdek(token_ttl=120)
    now = [1000.0]
    client = _inproc(fake, clock=lambda: now[0])
    client.delivery_points(city_code=44)
    now[0] += 30
    client.delivery_points(city_code=44)
    assert fake.count("/v2/oauth/token") == 1
    now[0] += 60  # past expiry minus the safety margin
    client.delivery_points(city_code=44)
    assert fake.count("/v2/oauth/token") == 2


def test_wrong_credentials_are_an_auth_error():
    fake = FakeCdek()
    client = CdekClient(base_url="http://cdek.test", client_id="x", client_secret="y",
                        transport=httpx.MockTransport(fake.handle))
    with pytest.raises(ProviderAuthError):
        client.calculate_tariff(_request(TARIFF_PICKUP_POINT))


def test_5xx_is_retried_and_an_unknown_city_is_rejected_without_retry():
    fake = FakeCdek()
    client = _inproc(fake)
    fake.fail_next(2, 502)
    assert client.calculate_tariff(_request(TARIFF_COURIER)).total_minor > 0
    with pytest.raises(ProviderRejected) as err:
        client.calculate_tariff(_request(TARIFF_COURIER, to_code=12345))
    assert err.value.status == 400 and "v2_entity_not_found" in err.value.message


def test_a_slow_provider_times_out_into_unavailable(served):
    # given CDEK answering after 1 s and a client that waits 0.2 s
    fake, server = served
    client = CdekClient(base_url=server.base_url, client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET,
                        timeout=0.2, policy=RetryPolicy(attempts=2, backoff=0.01))
    fake.delay = 1.0
    # when a quote is asked, then the caller gets a retryable "unavailable" quickly
    with pytest.raises(ProviderUnavailable) as err:
        client.delivery_points(city_code=44)
    assert err.value.retryable and err.value.code == "integration.timeout"


def test_settings_choose_the_adapter():
    class S:
        demo, cdek_mode, cdek_client_id, cdek_client_secret = False, "auto", None, None
        cdek_base_url, cdek_timeout_seconds = "https://api.cdek.ru", 5.0

    assert from_settings(S()) is None  # no credentials, not demo: the manager calculates
    S.demo = True
    port = from_settings(S())
    assert isinstance(port, DeliveryPort)
    assert port.calculate_tariff(_request(TARIFF_PICKUP_POINT)).total_minor == 36000  # the fake, in-process
    S.cdek_mode = "off"
    assert from_settings(S()) is None
