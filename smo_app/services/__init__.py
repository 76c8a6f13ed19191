"""Use cases. The only code that opens transactions and commits; imports neither reflex nor aiogram."""
