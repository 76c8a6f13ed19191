"""DaData suggestions (addresses): the port and the wire types (DaData's own field names)."""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field


class AddressData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    postal_code: str | None = None
    country: str | None = None
    region_with_type: str | None = None
    city: str | None = None
    city_with_type: str | None = None
    settlement_with_type: str | None = None
    street_with_type: str | None = None
    house: str | None = None
    flat: str | None = None
    fias_id: str | None = None
    kladr_id: str | None = None
    geo_lat: float | None = None  # DaData sends strings ("55.75"); pydantic converts
    geo_lon: float | None = None


class AddressSuggestion(BaseModel):
    model_config = ConfigDict(extra="ignore")

    value: str
    unrestricted_value: str | None = None
    data: AddressData = AddressData()


class SuggestRequest(BaseModel):
    """Body of ``POST /suggestions/api/4_1/rs/suggest/address``."""

    query: str = Field(min_length=1, max_length=300)
    count: int = Field(default=5, ge=1, le=20)
    language: str | None = None  # "ru" | "en"


class GeolocateRequest(BaseModel):
    """Body of ``POST /suggestions/api/4_1/rs/geolocate/address``."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    count: int = Field(default=1, ge=1, le=20)
    radius_meters: int = Field(default=100, ge=1, le=1000)


@runtime_checkable
class AddressPort(Protocol):
    provider: str

    def suggest(self, request: SuggestRequest) -> list[AddressSuggestion]: ...

    def geolocate(self, request: GeolocateRequest) -> list[AddressSuggestion]: ...
