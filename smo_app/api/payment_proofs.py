"""GET /api/payment-proofs/<payment id>: the customer's screenshot of a manual transfer, for staff;
GET /api/booking-proofs/<booking id>: the screenshot of a booking's deposit sent by transfer.

Signed-in backoffice staff only (the session cookie the backoffice sets — SameSite=Strict, so only
the shop's own pages send it — resolved by the calling seam, ``deps.StaffCalls``), at least allowed
to view orders (a booking's: to manage bookings). Served with the type sniffed from the bytes at upload, ``nosniff``, no scripts, and
never cached by the browser."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from smo_app.api.deps import StaffCalls
from smo_app.api.inline_files import inline_file
from smo_app.services.bookings.deposit_proofs import proof_of_booking
from smo_app.services.payments.manual import proof_of

router = APIRouter(tags=["payments"])
REFUSALS = {"common.forbidden": 403, "common.not_found": 404}


@router.get("/payment-proofs/{payment_id}")
async def payment_proof(payment_id: int, calls: StaffCalls) -> Response:
    out = await calls(proof_of, readonly=True, payment_id=payment_id)
    return inline_file(out, REFUSALS, cache_control="private, no-store", file_of=lambda value: value[1:])


@router.get("/booking-proofs/{booking_id}")
async def booking_proof(booking_id: int, calls: StaffCalls) -> Response:
    out = await calls(proof_of_booking, readonly=True, booking_id=booking_id)
    return inline_file(out, REFUSALS, cache_control="private, no-store", file_of=lambda value: value[1:])
