"""Compatibility imports: the bot sidecar's tables now live one module per aggregate
(``broadcast``, ``tracking``, ``leases``, ``error_reports``). New code imports from those."""
from smo_app.models.broadcast import Broadcast, BroadcastStatus, Segment
from smo_app.models.error_reports import ErrorReport
from smo_app.models.leases import JobLease
from smo_app.models.tracking import TrackingLink, TrackingVisitor

__all__ = ["Broadcast", "BroadcastStatus", "ErrorReport", "JobLease", "Segment", "TrackingLink", "TrackingVisitor"]
