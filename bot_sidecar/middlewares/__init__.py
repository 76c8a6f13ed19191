from bot_sidecar.middlewares.calls import CallsMiddleware
from bot_sidecar.middlewares.errors import ErrorReportingMiddleware
from bot_sidecar.middlewares.lanes import LanesMiddleware

__all__ = ["CallsMiddleware", "ErrorReportingMiddleware", "LanesMiddleware"]
