"""``make run`` reuses the built pages while the app is unchanged (smo_app/serve.py).

Given a project folder with sources and a build carrying the digest it was made from, a restart
with the same sources serves that build (moved to another port when asked), and any change to what
the pages are made of — or a build without its digest — builds again."""
from smo_app import serve


def _project(tmp_path):
    (tmp_path / "smo_app").mkdir()
    (tmp_path / "smo_app" / "page.py").write_text("TITLE = 'Магазин'\n")
    (tmp_path / "rxconfig.py").write_text("config = None\n")
    assets = tmp_path / ".web" / "build" / "client" / "assets"
    assets.mkdir(parents=True)
    (assets / "reflex-env-abc.js").write_text('const e={"EVENT":"ws://localhost:3000/_event"}')
    (assets / "reflex-env-abc.js.gz").write_bytes(b"packed")
    return tmp_path


def _stamp(root, digest, port):
    (root / ".web" / "build" / serve.DIGEST_FILE).write_text(f"{digest} {port}")


def test_an_unchanged_app_serves_its_build_and_a_changed_one_builds_again(tmp_path):
    root = _project(tmp_path)
    digest = serve.sources_digest(root)
    # a build without its digest (made by `reflex run` itself, or interrupted) is not trusted
    assert not serve.is_built(digest, 3000, root)
    _stamp(root, digest, 3000)
    assert serve.is_built(digest, 3000, root)
    # when a page's source changes, the digest is another and the build is not reused
    (root / "smo_app" / "page.py").write_text("TITLE = 'Shop'\n")
    changed = serve.sources_digest(root)
    assert changed != digest and not serve.is_built(changed, 3000, root)
    # compiled caches do not count
    (root / "smo_app" / "__pycache__").mkdir()
    (root / "smo_app" / "__pycache__" / "page.cpython-311.pyc").write_bytes(b"\0")
    assert serve.sources_digest(root) == changed


def test_a_build_for_another_port_is_moved_to_the_port_asked(tmp_path):
    root = _project(tmp_path)
    digest = serve.sources_digest(root)
    _stamp(root, digest, 3000)
    assert serve.is_built(digest, 3100, root)
    module = root / ".web" / "build" / "client" / "assets" / "reflex-env-abc.js"
    assert "localhost:3100/_event" in module.read_text() and not module.with_name(module.name + ".gz").exists()
    assert (root / ".web" / "build" / serve.DIGEST_FILE).read_text() == f"{digest} 3100"
    # a build whose address is not the local one it recorded is built again, not patched blindly
    module.write_text('const e={"EVENT":"wss://shop.example/_event"}')
    assert not serve.is_built(digest, 3200, root)
