"""POS (PO1–PO8): registers and shifts, the per-register cart, sales, approvals, returns, reports."""
