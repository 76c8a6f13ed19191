from bot_sidecar.middlewares.db import DbSessionMiddleware
from bot_sidecar.middlewares.errors import ErrorReportingMiddleware

__all__ = ["DbSessionMiddleware", "ErrorReportingMiddleware"]
