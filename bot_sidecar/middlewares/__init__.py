from bot_sidecar.middlewares.calls import CallsMiddleware
from bot_sidecar.middlewares.errors import ErrorReportingMiddleware

__all__ = ["CallsMiddleware", "ErrorReportingMiddleware"]
