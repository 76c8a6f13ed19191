"""Backups an owner can restore (OP1, IN6): one archive with the database, the uploaded files and a
manifest of counts and checksums; restore into an empty database, checked against the manifest."""
