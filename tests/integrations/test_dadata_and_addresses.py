"""DaData suggestions against the fake; free text without a key; nearest pickup points."""
from __future__ import annotations

import httpx
import pytest

from integrations.cdek.fake import FakeCdek
from integrations.cdek.client import CdekClient
from integrations.dadata import from_settings
from integrations.dadata.client import DadataClient
from integrations.dadata.fake import DEMO_API_KEY, FakeDadata
from integrations.ports.address import SuggestRequest
from integrations.fakeserver import LocalServer
from integrations.http import ProviderAuthError
from smo_app.services.delivery.addresses import address_at, nearest_points, suggest_addresses


def _client(fake: FakeDadata, key: str = DEMO_API_KEY) -> DadataClient:
    return DadataClient(api_key=key, base_url="http://dadata.test", transport=httpx.MockTransport(fake.handle),
                        sleep=lambda s: None)


def test_suggestions_over_http_carry_the_address_and_its_coordinates():
    fake = FakeDadata()
    with LocalServer(fake.handle) as server:
        client = DadataClient(api_key=DEMO_API_KEY, base_url=server.base_url)
        [hit] = client.suggest(SuggestRequest(query="москва арбат"))
    assert hit.value == "г Москва, ул Арбат, д 24"
    assert hit.data.postal_code == "119002" and hit.data.geo_lat == pytest.approx(55.75)


def test_a_wrong_key_is_an_auth_error_and_the_service_falls_back_to_free_text():
    client = _client(FakeDadata(), key="wrong")
    with pytest.raises(ProviderAuthError):
        client.suggest(SuggestRequest(query="москва"))
    assert suggest_addresses(client, query="москва тверская") == []
    assert suggest_addresses(None, query="москва тверская") == []


def test_short_queries_do_not_call_the_provider():
    fake = FakeDadata()
    assert suggest_addresses(_client(fake), query="мо") == []
    assert fake.calls == []


def test_a_location_resolves_to_the_address_there():
    hit = address_at(_client(FakeDadata()), lat=59.9321, lon=30.3501)
    assert hit is not None and "Невский" in hit.value
    assert address_at(_client(FakeDadata()), lat=0, lon=0) is None


def test_the_four_nearest_pickup_points_come_first_by_distance():
    fake = FakeCdek()
    points = CdekClient(base_url="http://cdek.test", client_id="demo-cdek-client", client_secret="demo-cdek-secret",
                        transport=httpx.MockTransport(fake.handle)).delivery_points(city_code=44)
    # standing on the Arbat
    ranked = nearest_points(points, lat=55.7500, lon=37.5930)
    assert len(ranked) == 4
    assert ranked[0][0].code == "MSK103" and ranked[0][1] < 0.1
    assert [d for _, d in ranked] == sorted(d for _, d in ranked)


def test_settings_choose_the_address_adapter():
    class S:
        demo, dadata_mode, dadata_api_key, dadata_base_url = False, "auto", None, "https://suggestions.dadata.ru"

    assert from_settings(S()) is None
    S.demo = True
    assert suggest_addresses(from_settings(S()), query="новосибирск")[0].data.city == "Новосибирск"
