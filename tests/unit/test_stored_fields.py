"""A state keeps its cached UI texts out of Redis (smo_app/state/stored_fields.py): given the fields a
state pickles, when the texts' cache is among them, then it is left out and nothing else is."""
from smo_app.state.stored_fields import without_caches


class _Computed:
    def __init__(self, name: str) -> None:
        self._cache_attr = f"__cached_{name}_rx_state_"


class _State:
    computed_vars = {"tr": _Computed("tr"), "ui_lang": _Computed("ui_lang")}


def test_the_texts_cache_is_left_out_and_the_rest_kept():
    fields = {"lang": "ru", "bo_token": "t", "__cached_tr_rx_state_": {"ui.a": "А"}, "__cached_ui_lang_rx_state_": "ru"}
    stored = without_caches(fields, _State, "tr")
    assert stored == {"lang": "ru", "bo_token": "t", "__cached_ui_lang_rx_state_": "ru"}
    assert "__cached_tr_rx_state_" in fields  # the live state keeps its cache


def test_the_real_states_name_their_texts_caches():
    from smo_app.state.customer_session import CustomerSessionState
    from smo_app.state.session import SessionState

    for cls, var in ((SessionState, "tr"), (CustomerSessionState, "shop_tr")):
        cache = cls.computed_vars[var]._cache_attr
        assert cache not in without_caches({cache: {}, "x": 1}, cls, var)
