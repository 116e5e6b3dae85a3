"""The office's Ed25519 signing key, kept in a file: made, loaded, and the public keys `verify` trusts.

The private key lives in a file under the data dir (or COORDINATION_LEDGER_KEY), made on first use with
mode 0600 — never in the database, never in a backup. Its public half is written beside it, recorded
with every checkpoint and published; `trusted_keys` is what `verify` trusts: that public key, and any
`*.pem` public keys an operator places in <data dir>/ledger/trusted/ (e.g. the key of a restored office).
"""

from __future__ import annotations

import os
from pathlib import Path

import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coordination.config import Settings
from ledger_proof.verify_bundle import key_id, load_public_key, raw_public_key

log = structlog.get_logger(__name__)


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
