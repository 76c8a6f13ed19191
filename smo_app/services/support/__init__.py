"""Support (SU1–SU3): tickets, the assistant that answers them, the operators who take them over."""
