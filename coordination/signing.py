"""The office's Ed25519 signing key and the signed checkpoints of the chain head (检查点).

The private key lives in a file under the data dir (or COORDINATION_LEDGER_KEY), made on first use with
mode 0600 — never in the database, never in a backup. Its public half is written beside it, recorded
with every checkpoint and published; `trusted_keys` is what `verify` trusts: that public key, and any
`*.pem` public keys an operator places in <data dir>/ledger/trusted/ (e.g. the key of a restored office).
"""

from __future__ import annotations

import base64
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coordination.config import Settings
from ledger_proof.verify_bundle import Checkpoint, checkpoint_message, key_id, load_public_key, raw_public_key
from projections import chain

log = structlog.get_logger(__name__)

CHECKPOINT_EVERY = timedelta(hours=1)


def key_file(settings: Settings) -> Path:
    return settings.ledger_key_file or settings.data_dir / "ledger" / "signing_key.pem"


def public_key_file(settings: Settings) -> Path:
    return key_file(settings).with_suffix(".pub.pem")


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The office's private key, created (mode 0600, directory 0700) when there is none yet."""
    path = key_file(settings)
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
            public_key_file(settings).write_bytes(public_pem(key.public_key()))
            log.info("ledger.key_created", key_id=key_id(raw_public_key(key.public_key())), path=str(path))
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def trusted_keys(settings: Settings) -> dict[str, Ed25519PublicKey] | None:
    """The public keys `verify` trusts; None when this machine knows none (then checkpoints are only
    checked against the keys recorded beside them)."""
    found = []
    if public_key_file(settings).exists():
        found.append(load_public_key(public_key_file(settings).read_bytes()))
    elif key_file(settings).exists():
        found.append(signing_key(settings).public_key())
    trusted_dir = settings.data_dir / "ledger" / "trusted"
    if trusted_dir.is_dir():
        found.extend(load_public_key(p.read_bytes()) for p in sorted(trusted_dir.glob("*.pem")))
    return {key_id(raw_public_key(k)): k for k in found} or None


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

    def __init__(self, settings: Settings, every: timedelta = CHECKPOINT_EVERY):
        self.settings = settings
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
            self._key = signing_key(self.settings)
        return sign_head(conn, self._key, now=now)


def describe(checkpoint: Checkpoint | None) -> dict[str, Any] | None:
    """A checkpoint as the API publishes it."""
    if checkpoint is None:
        return None
    return {"position": checkpoint.position, "hash": checkpoint.hash, "algorithm": checkpoint.algorithm,
            "signed_at": checkpoint.signed_at, "key_id": checkpoint.key_id, "signature": checkpoint.signature,
            "public_key": checkpoint.public_key}
