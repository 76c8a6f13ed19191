"""`make run`'s quick check (smo_app/schema_state.py): a database at head with the demo seeded is
left alone without alembic; anything else goes through the full migrate and seed."""
from smo_app import migrations, schema_state
from tests.demo_support import demo_shop


def test_the_head_read_from_the_migration_files_is_alembics():
    assert schema_state.head_revision() == migrations.head_revision()


def test_a_database_not_there_is_not_ready_and_is_not_created(tmp_path):
    path = tmp_path / "none.db"
    assert schema_state.ready(f"sqlite:///{path}", demo=False) is False
    assert not path.exists()


def test_ready_at_head_and_for_the_demo_once_seeded(engine):
    url = engine.url.render_as_string(hide_password=False)
    assert schema_state.ready(url, demo=False) is True
    assert schema_state.ready(url, demo=True) is False  # the demo shop is not there yet
    demo_shop(engine)
    assert schema_state.ready(url, demo=True) is True


def test_a_database_behind_the_head_is_not_ready(sqlite_engine):
    url = sqlite_engine.url.render_as_string(hide_password=False)
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    assert schema_state.ready(url, demo=False) is False


def test_a_head_not_understood_sends_the_caller_to_alembic(tmp_path):
    (tmp_path / "a.py").write_text("revision = '1'\ndown_revision = None\n")
    (tmp_path / "b.py").write_text("revision = '2'\ndown_revision = '1'\n")
    assert schema_state.head_revision(tmp_path) == "2"
    (tmp_path / "c.py").write_text("revision = '3'\ndown_revision = '1'\n")  # two heads
    assert schema_state.head_revision(tmp_path) is None
    (tmp_path / "c.py").write_text("revision = make()\ndown_revision = '2'\n")
    assert schema_state.head_revision(tmp_path) is None
