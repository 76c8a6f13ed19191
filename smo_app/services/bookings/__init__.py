"""Bookings (BK1–BK5, ST10): services sold as time, providers' calendars, free slots, bookings with
deposits, and the waitlist."""
