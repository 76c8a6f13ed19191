"""All tables. Importing this package registers every table on ``SQLModel.metadata``.

One module per aggregate; add new modules to the import list below.
"""
from smo_app.models.audit import AuditEntry
from smo_app.models.broadcast import Broadcast, BroadcastStatus, Segment
from smo_app.models.error_reports import ErrorReport
from smo_app.models.leases import JobLease
from smo_app.models.tracking import TrackingLink, TrackingVisitor
from smo_app.models.customer import Customer, CustomerKind
from smo_app.models.outbox import Outbox, OutboxBlob, OutboxLane, OutboxStatus
from smo_app.models.presence import SidecarHeartbeat, SidecarMode, StaffLinkCode
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
    "OutboxBlob",
    "OutboxLane",
    "OutboxStatus",
    "Role",
    "SidecarHeartbeat",
    "SidecarMode",
    "StaffLinkCode",
    "ShopSetting",
    "SignInAttempt",
    "Staff",
    "StaffSession",
]
from smo_app.models.catalog import Category, Product, StockSubscription, Variant  # noqa: E402
from smo_app.models.stock import MoveKind, StockMove, Supplier, Supply, SupplyLine  # noqa: E402
from smo_app.models.orders import Order, OrderEvent, OrderLine, OrderStatus  # noqa: E402
from smo_app.models.carts import Cart, CartItem  # noqa: E402
from smo_app.models.promotions import CertificateStatus, GiftCertificate, PromoCode, PromoUse  # noqa: E402
from smo_app.models.loyalty import LoyaltyEntry, LoyaltyKind  # noqa: E402
from smo_app.models.analytics import ManualRevenue  # noqa: E402

__all__ += [
    "Cart", "CartItem", "Category", "CertificateStatus", "GiftCertificate", "LoyaltyEntry", "LoyaltyKind", "ManualRevenue",
    "MoveKind", "Order", "OrderEvent", "OrderLine", "OrderStatus", "Product", "PromoCode", "PromoUse",
    "StockMove", "StockSubscription", "Supplier", "Supply", "SupplyLine", "Variant",
]
from smo_app.models.pos import (  # noqa: E402
    PosApproval, PosCart, PosCashMove, PosDevice, PosFavourite, PosParkedTicket, PosRegister, PosReturn, PosReturnLine, PosSale, PosShift,
)

__all__ += ["PosApproval", "PosCart", "PosCashMove", "PosDevice", "PosFavourite", "PosParkedTicket", "PosRegister", "PosReturn", "PosReturnLine",
            "PosSale", "PosShift"]

from smo_app.models.integrations import DeadLetter, DeadLetterResolution, WebhookEvent, WebhookStatus  # noqa: E402
from smo_app.models.customer_session import CustomerSession  # noqa: E402

__all__ += ["CustomerSession", "DeadLetter", "DeadLetterResolution", "WebhookEvent", "WebhookStatus"]
from smo_app.models.imports import CatalogImport  # noqa: E402

__all__ += ["CatalogImport"]
from smo_app.models.payments import (  # noqa: E402
    Payment, PaymentProof, PaymentProvider, PaymentStatus, ReconciliationRun, Refund, RefundStatus,
)

__all__ += ["Payment", "PaymentProof", "PaymentProvider", "PaymentStatus", "ReconciliationRun", "Refund", "RefundStatus"]
from smo_app.models.couriers import CourierHandoff, CourierHandoffOrder  # noqa: E402
from smo_app.models.wheel import PrizeKind, WheelPrize, WheelSpin  # noqa: E402

__all__ += ["CourierHandoff", "CourierHandoffOrder", "PrizeKind", "WheelPrize", "WheelSpin"]
from smo_app.models.erp import ErpConnection, ErpItemLink, ErpOrderPush, ErpSyncRun  # noqa: E402
from smo_app.models.shipping import Shipment, ShipmentStatus  # noqa: E402
from smo_app.models.images import TelegramFileId  # noqa: E402

__all__ += ["ErpConnection", "ErpItemLink", "ErpOrderPush", "ErpSyncRun", "Shipment", "ShipmentStatus", "TelegramFileId"]
from smo_app.models.backup import BackupRun  # noqa: E402

__all__ += ["BackupRun"]
from smo_app.models.api_tokens import ApiIdempotency, ApiToken, ApiWebhook  # noqa: E402

__all__ += ["ApiIdempotency", "ApiToken", "ApiWebhook"]
from smo_app.models.bookings import (  # noqa: E402
    Booking, BookingDay, BookingHours, BookingService, BookingServiceProvider, WaitlistEntry,
)

__all__ += ["Booking", "BookingDay", "BookingHours", "BookingService", "BookingServiceProvider", "WaitlistEntry"]

from smo_app.models.support import SupportMessage, SupportTicket, SupportTopic, TicketState  # noqa: E402

__all__ += ["SupportMessage", "SupportTicket", "SupportTopic", "TicketState"]
