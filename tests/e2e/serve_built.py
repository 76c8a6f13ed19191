"""Serve the app in prod mode from a frontend that is already built (no compile, no build).

Usage: ``python -m tests.e2e.serve_built PORT`` from the project root, with ``REFLEX_WEB_WORKDIR``
pointing at a folder whose ``build/client`` holds the pages. This is what ``reflex run --env prod``
does after its build (`reflex/reflex.py:_run_prod`): the backend on one port with the compiled pages
mounted beside it. The browser journeys start their second and later apps this way from a copy of
the first app's build (see ``tests/e2e/conftest.py:_reuse_build``) instead of building the same
pages again for each.
"""
from __future__ import annotations

import sys

from reflex.utils import exec as reflex_exec
from reflex_base import constants
from reflex_base.config import get_config
from reflex_base.constants.base import LogLevel
from reflex_base.environment import environment


def main(port: int) -> None:
    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    config = get_config()
    config._set_persistent(frontend_port=port, backend_port=port)
    reflex_exec.run_backend_prod(config.backend_host, port, LogLevel.WARNING, True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
