"""The web app's wiring, checked without a browser: routes, guards' permissions, UI text keys."""
import re
from pathlib import Path

from smo_app import routes
from smo_app.i18n import catalogs
from smo_app.services.core.permissions import ROLE_PERMISSIONS, Perm

SMO = Path(__file__).resolve().parents[2] / "smo_app"


def test_every_route_has_exactly_one_page():
    # given the app module (it records every page once)
    import smo_app.smo_app  # noqa: F401
    from smo_app.components.registry import PAGES

    # then each route is registered once, and every area and shell is there
    registered = [p["route"] for p in PAGES]
    assert len(registered) == len(set(registered))
    expected = ({routes.STOREFRONT, routes.ADMIN_LOGIN, routes.ADMIN, routes.POS_LOGIN, routes.POS, routes.PROFILE,
                 routes.POS_PROFILE, routes.POS_SHIFT, routes.POS_RECEIPT, routes.POS_RETURNS, routes.POS_DISPLAY,
                 routes.ORDER_PICK_LIST, routes.WHEEL} | {a.route for a in routes.AREAS})
    assert set(registered) == expected


def test_areas_are_guarded_by_real_permissions_and_have_names_in_both_languages():
    tables = catalogs()
    for area in routes.AREAS:
        Perm(area.perm)  # raises on a typo
        for lang in ("ru", "en"):
            assert f"ui.nav.{area.key}" in tables[lang]


def test_a_seller_may_open_no_backoffice_area_and_the_owner_all():
    from smo_app.models.staff import Role

    def opens(role):
        perms = ROLE_PERMISSIONS[role]
        return {a.key for a in routes.AREAS if Perm.backoffice_access in perms and Perm(a.perm) in perms}

    assert opens(Role.seller) == set()
    assert Perm.backoffice_access not in ROLE_PERMISSIONS[Role.seller]
    assert opens(Role.owner) == {a.key for a in routes.AREAS}
    assert {"staff", "audit"}.isdisjoint(opens(Role.manager))


def test_every_text_key_the_ui_uses_exists_in_russian_and_english():
    used: set[str] = set()
    for path in list((SMO / "components").rglob("*.py")) + list((SMO / "pages").rglob("*.py")) + list((SMO / "state").rglob("*.py")):
        source = path.read_text()
        used |= set(re.findall(r'\b(?:T|text|_field)\(\s*"((?:ui|role|auth|staff|common)\.[a-z0-9_.]+)"', source))
        used |= set(re.findall(r'"(ui\.[a-z0-9_]+\.[a-z0-9_.]+)"', source))
    assert len(used) > 40
    tables = catalogs()
    for lang in ("ru", "en"):
        missing = sorted(k for k in used if k not in tables[lang])
        assert not missing, (lang, missing)


def test_text_components_read_only_keys_that_reach_the_browser():
    from smo_app.state.session import CLIENT_TEXT_PREFIXES

    for path in list((SMO / "components").rglob("*.py")) + list((SMO / "pages").rglob("*.py")):
        for key in re.findall(r'\bT\(\s*f?"([a-z_]+\.)', path.read_text()):
            assert key.startswith(CLIENT_TEXT_PREFIXES), (path.name, key)
