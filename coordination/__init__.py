"""The write side of the coordination ledger: use cases, authorization, idempotency, clock, storage."""
