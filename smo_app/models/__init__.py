"""All tables. Importing this package registers every table on ``SQLModel.metadata``.

One module per aggregate; add new modules to the import list below.
"""
from smo_app.models.audit import AuditEntry
from smo_app.models.bot import Broadcast, BroadcastStatus, ErrorReport, JobLease, Segment, TrackingLink, TrackingVisitor
from smo_app.models.customer import Customer, CustomerKind
from smo_app.models.outbox import Outbox, OutboxStatus
from smo_app.models.shop import ShopSetting
from smo_app.models.staff import Channel, Role, SignInAttempt, Staff, StaffSession

__all__ = [
    "Broadcast",
    "BroadcastStatus",
    "ErrorReport",
    "JobLease",
    "Segment",
    "TrackingLink",
    "TrackingVisitor",
    "AuditEntry",
    "Channel",
    "Customer",
    "CustomerKind",
    "Outbox",
    "OutboxStatus",
    "Role",
    "ShopSetting",
    "SignInAttempt",
    "Staff",
    "StaffSession",
]
