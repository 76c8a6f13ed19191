"""Address suggestions for checkout and the pickup points nearest to the customer.

Without an address provider (no key) or when it fails, suggestions are empty and the customer's
free text is accepted as typed — checkout never depends on it.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from integrations.ports.delivery import DeliveryPoint
from integrations.ports.address import AddressPort, AddressSuggestion, GeolocateRequest, SuggestRequest
from integrations.http import IntegrationError

log = logging.getLogger(__name__)
MIN_QUERY = 3


def suggest_addresses(port: AddressPort | None, *, query: str, count: int = 5, language: str | None = None) -> list[AddressSuggestion]:
    query = " ".join((query or "").split())[:300]
    if port is None or len(query) < MIN_QUERY:
        return []
    try:
        return port.suggest(SuggestRequest(query=query, count=max(1, min(count, 20)), language=language))
    except IntegrationError as exc:
        log.warning("address suggestions failed: %r", exc)
        return []


def address_at(port: AddressPort | None, *, lat: float, lon: float) -> AddressSuggestion | None:
    """The address at a geolocation (the Mini App's "use my location"), if the provider knows it."""
    if port is None:
        return None
    try:
        found = port.geolocate(GeolocateRequest(lat=lat, lon=lon, count=1, radius_meters=1000))
    except (IntegrationError, ValueError) as exc:
        log.warning("geolocation failed: %r", exc)
        return None
    return found[0] if found else None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def nearest_points(points: Sequence[DeliveryPoint], *, lat: float, lon: float, limit: int = 4) -> list[tuple[DeliveryPoint, float]]:
    """The ``limit`` pickup points closest to (lat, lon), with their distance in km, nearest first."""
    ranked = sorted(((p, distance_km(lat, lon, p.location.latitude, p.location.longitude)) for p in points),
                    key=lambda pair: (pair[1], pair[0].code))
    return ranked[:limit]
