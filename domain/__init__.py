"""The domain model of the coordination ledger: aggregates, their events and rules. No I/O here."""
