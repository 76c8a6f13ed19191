"""ERP sync (MoySklad): the owner's connection, pulls of the assortment and stock applied through the
stock ledger, orders pushed once, webhooks stored then applied, and the sync panel's read-model."""
