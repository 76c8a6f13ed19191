"""A fake DaData suggestions API (real JSON: ``{"suggestions": [{"value", "unrestricted_value",
"data": {…}}]}``; ``Authorization: Token <key>``, 401 otherwise). Use as
``httpx.MockTransport(FakeDadata().handle)`` or serve it with ``integrations.fakeserver.LocalServer``."""
from __future__ import annotations

import json
import math

import httpx

DEMO_API_KEY = "demo-dadata-key"
SUGGEST_PATH = "/suggestions/api/4_1/rs/suggest/address"
GEOLOCATE_PATH = "/suggestions/api/4_1/rs/geolocate/address"

ADDRESSES = [
    ("101000", "г Москва", "Москва", "ул Тверская", "12", 55.7651, 37.6050),
    ("119049", "г Москва", "Москва", "Ленинский пр-кт", "30", 55.7076, 37.5862),
    ("119002", "г Москва", "Москва", "ул Арбат", "24", 55.7500, 37.5930),
    ("191025", "г Санкт-Петербург", "Санкт-Петербург", "Невский пр-кт", "88", 59.9320, 30.3500),
    ("630099", "г Новосибирск", "Новосибирск", "Красный пр-кт", "25", 55.0302, 82.9204),
]


def _suggestion(postal, city_with_type, city, street, house, lat, lon) -> dict:
    value = f"{city_with_type}, {street}, д {house}"
    return {"value": value, "unrestricted_value": f"{postal}, {city_with_type}, {street}, д {house}",
            "data": {"postal_code": postal, "country": "Россия", "region_with_type": city_with_type, "city": city,
                     "city_with_type": city_with_type, "street_with_type": street, "house": house,
                     "geo_lat": f"{lat:.6f}", "geo_lon": f"{lon:.6f}", "fias_id": None, "kladr_id": None}}


def _json(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body, ensure_ascii=False).encode(),
                          headers={"Content-Type": "application/json"})


class FakeDadata:
    provider = "dadata"

    def __init__(self, *, api_key: str = DEMO_API_KEY) -> None:
        self.api_key = api_key
        self.calls: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        if request.headers.get("Authorization") != f"Token {self.api_key}":
            return _json(401, {"family": "CLIENT_ERROR", "reason": "Unauthorized", "message": "Zero or invalid API key"})
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            return _json(400, {"family": "CLIENT_ERROR", "reason": "Bad Request", "message": "not JSON"})
        count = int(body.get("count") or 10)
        if request.method == "POST" and request.url.path == SUGGEST_PATH:
            words = str(body.get("query") or "").lower().replace(",", " ").split()
            found = [a for a in ADDRESSES if all(w in " ".join(map(str, a[:5])).lower() for w in words)]
            return _json(200, {"suggestions": [_suggestion(*a) for a in found[:count]]})
        if request.method == "POST" and request.url.path == GEOLOCATE_PATH:
            lat, lon = float(body.get("lat", 0)), float(body.get("lon", 0))
            radius = float(body.get("radius_meters") or 100)
            near = [a for a in ADDRESSES if _metres(lat, lon, a[5], a[6]) <= radius]
            return _json(200, {"suggestions": [_suggestion(*a) for a in near[:count]]})
        return _json(404, {"family": "CLIENT_ERROR", "reason": "Not Found", "message": request.url.path})


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


if __name__ == "__main__":  # pragma: no cover
    from integrations.fakeserver import run_standalone

    run_standalone(FakeDadata().handle, name="DaData suggestions", default_port=8090, note=f"(key {DEMO_API_KEY!r})")
