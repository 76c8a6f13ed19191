"""Staff accounts and identity: sign-in (password and PIN), sessions, lockout, roles."""
