"""A time zone as a person names it: the city in the viewer's language and the offset."""
from datetime import datetime, timezone

from smo_app import formats


def test_a_zone_reads_as_its_city_and_offset():
    summer = datetime(2026, 7, 1, tzinfo=timezone.utc)
    assert formats.zone("Europe/Moscow", "ru", summer) == "Москва, UTC+3"
    assert formats.zone("Europe/Moscow", "en", summer) == "Moscow, UTC+3"
    assert formats.zone("Asia/Kolkata", "en", summer) == "Kolkata, UTC+5:30"
    assert formats.zone("America/New_York", "en", summer) == "New York, UTC−4"
    assert formats.zone("Not/AZone", "ru") == "Not/AZone"  # never a traceback
