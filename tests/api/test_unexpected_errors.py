"""A route that breaks outside a service call answers a plain 500 and reaches the owner with the
route, once per place an hour."""
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import select

from smo_app.api import create_api
from smo_app.api.deps import get_seam
from smo_app.calling import Seam, opener_from_factory
from smo_app.models.error_reports import ErrorReport
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role, Staff
from tests.factories import make_staff


def test_a_broken_route_is_a_plain_500_and_one_report_naming_the_route(engine, session):
    from sqlmodel import Session

    owner = session.get(Staff, make_staff(session, Role.owner).id)
    owner.telegram_id = 9_300_000_001
    session.commit()
    api = create_api()

    @api.get("/api/broken")
    def broken():
        return {"half": 1 / 0}

    api.dependency_overrides[get_seam] = lambda: Seam(opener_from_factory(lambda: Session(engine)), origin="api")
    client = TestClient(api, raise_server_exceptions=False)
    answers = [client.get("/api/broken") for _ in range(2)]
    assert [a.status_code for a in answers] == [500, 500]
    assert answers[0].json() == {"ok": False, "error": "internal error"} and "Traceback" not in answers[0].text
    session.expire_all()
    [report] = session.exec(select(ErrorReport)).all()
    assert report.summary.startswith("ZeroDivisionError") and report.count == 2
    [alert] = session.exec(select(Outbox).where(Outbox.kind == "error")).all()
    assert "GET /api/broken" in alert.payload["text"]
