"""Signed checkpoints of the chain head (检查点): the worker signs the head with the office's Ed25519 key.

The key itself is loaded by the caller (coordination.signing keeps it in a file, never in the database);
here only the signing and the rule for when a checkpoint is due.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import psycopg
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger_proof.verify_bundle import Checkpoint, checkpoint_message, key_id, raw_public_key
from projections import chain

log = structlog.get_logger(__name__)

CHECKPOINT_EVERY = timedelta(hours=1)


def sign_head(conn: psycopg.Connection, key: Ed25519PrivateKey, *, now: datetime | None = None) -> Checkpoint | None:
    """Sign the chain's current head and record the checkpoint; None when there is nothing new to sign."""
    head = chain.head(conn)
    last = chain.last_checkpoint(conn)
    if head is None or (last is not None and last.position >= head["position"]):
        return None
    signed_at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")
    public = raw_public_key(key.public_key())
    signature = key.sign(checkpoint_message(head["position"], head["hash"], head["algorithm"], signed_at))
    checkpoint = Checkpoint(position=head["position"], hash=head["hash"], algorithm=head["algorithm"],
                            signed_at=signed_at, key_id=key_id(public), signature=base64.b64encode(signature).decode(),
                            public_key=base64.b64encode(public).decode())
    chain.record_checkpoint(conn, checkpoint)
    log.info("ledger.checkpoint", position=checkpoint.position, hash=checkpoint.hash, key_id=checkpoint.key_id)
    return checkpoint


class Checkpointer:
    """For the worker: a signed checkpoint at least every hour the head moves, and after each issued report."""

    def __init__(self, load_key: Callable[[], Ed25519PrivateKey], every: timedelta = CHECKPOINT_EVERY):
        self.load_key = load_key
        self.every = every
        self._key: Ed25519PrivateKey | None = None

    def checkpoint_if_due(self, conn: psycopg.Connection) -> Checkpoint | None:
        head = chain.head(conn)
        last = chain.last_checkpoint(conn)
        if head is None or (last is not None and last.position >= head["position"]):
            return None
        now = datetime.now(timezone.utc)
        due = (last is None or now - datetime.fromisoformat(last.signed_at) >= self.every
               or chain.report_issued_after(conn, last.position, head["position"]))
        if not due:
            return None
        if self._key is None:
            self._key = self.load_key()
        return sign_head(conn, self._key, now=now)
