"""Support (SU1–SU3): a customer's ticket and its messages.

A ticket moves ``ai`` → ``needs_operator`` → ``operator`` → ``closed`` (and back to ``ai`` after a
day without an operator's word). A customer has at most one open ticket: a partial unique index on
``customer_id`` where the state is not ``closed`` holds it, so two first messages at once open one.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class TicketState(StrEnum):
    ai = "ai"  # the assistant answers
    needs_operator = "needs_operator"  # escalated; waits for a person
    operator = "operator"  # a person answers
    closed = "closed"  # done (archive)


OPEN_STATES = (TicketState.ai, TicketState.needs_operator, TicketState.operator)


class MessageAuthor(StrEnum):
    customer = "customer"
    ai = "ai"  # the assistant (the offline answerer or the AI endpoint)
    operator = "operator"  # a staff member, from the backoffice or Telegram
    system = "system"  # state changes the customer is told about


class SupportTicket(SQLModel, table=True):
    __tablename__ = "support_ticket"
    __table_args__ = (
        sa.Index("uq_support_ticket_open_customer", "customer_id", unique=True,
                 sqlite_where=sa.text("state != 'closed'"), postgresql_where=sa.text("state != 'closed'")),
        sa.Index("ix_support_ticket_state_id", "state", "id"),
        # without a supergroup an operator holds one open ticket at a time in their private chat
        sa.Index("uq_support_ticket_operator_chat", "operator_chat_id", unique=True,
                 sqlite_where=sa.text("state != 'closed' AND operator_chat_id IS NOT NULL"),
                 postgresql_where=sa.text("state != 'closed' AND operator_chat_id IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    order_id: int | None = Field(default=None, foreign_key="order.id")  # "a question about order №…"
    state: str = Field(default=TicketState.ai, max_length=16)
    topic: str = Field(default="", max_length=16)  # order | delivery | payment | operator | "" (free text)
    assigned_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    operator_chat_id: int | None = Field(default=None, sa_type=sa.BigInteger)  # the private chat relaying it (no supergroup)
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalation_reason: str = Field(default="", max_length=16)  # asked | unknown | repeated
    first_response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # an operator's first answer
    last_operator_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    timeout_alerted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    solved_by: str = Field(default="", max_length=16)  # ai | operator (set when closed)
    last_question: str = Field(default="", max_length=300)  # folded, to notice the same question twice
    tokens_in: int = 0  # the AI endpoint's prompt tokens spent on this ticket
    tokens_out: int = 0


class SupportMessage(SQLModel, table=True):
    __tablename__ = "support_message"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="support_ticket.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    author: str = Field(max_length=16)  # MessageAuthor
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    text: str = Field(default="", max_length=4096)
    photo_file_id: str | None = Field(default=None, max_length=256)  # Telegram's file id
    document_file_id: str | None = Field(default=None, max_length=256)
    document_name: str | None = Field(default=None, max_length=200)
    telegram_message_id: int | None = Field(default=None, sa_type=sa.BigInteger)  # the customer's message (dedupe)


class SupportTopic(SQLModel, table=True):
    """A customer's forum topic in the staff supergroup (one per customer and chat), made on their
    first escalation; ``thread_id`` is Telegram's once the sender created it."""

    __tablename__ = "support_topic"
    __table_args__ = (
        sa.UniqueConstraint("chat_id", "customer_id", name="uq_support_topic_chat_customer"),
        sa.Index("ix_support_topic_chat_thread", "chat_id", "thread_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=sa.BigInteger)
    customer_id: int = Field(foreign_key="customer.id")
    thread_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
