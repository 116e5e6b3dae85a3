"""The chain's reference definition (ledger_proof.verify_bundle), without a database: SHA-256 and SM3."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger_proof.verify_bundle import (
    Checkpoint, Divergence, Link, Row, chain_step, checkpoint_message, genesis, key_id, keys_by_id, raw_public_key,
    verify_log,
)

ALGORITHMS = [a for a in ("sha256", "sm3") if a in hashlib.algorithms_available]


def rows() -> list[Row]:
    return [Row(p, "7d1c1f3e-0000-4000-8000-00000000000%d" % (p % 10), 1, "domain.tasks:Task.Assigned",
                f'{{"n": {p}}}'.encode()) for p in (1, 2, 4, 5)]


def chained(algorithm: str) -> list[Link]:
    links, head, previous = [], genesis(algorithm), 0
    for row in rows():
        head = chain_step(head, row, algorithm)
        links.append(Link(row.position, previous, row.originator_id, 1, algorithm, head.hex()))
        previous = row.position
    return links


def signed(key, link: Link) -> Checkpoint:
    at = "2026-07-01T00:00:00+00:00"
    public = raw_public_key(key.public_key())
    return Checkpoint(link.position, link.hash, link.algorithm, at, key_id(public),
                      base64.b64encode(key.sign(checkpoint_message(link.position, link.hash, link.algorithm, at))).decode())


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_chain_over_rows_with_gaps_verifies_with_its_signed_checkpoint(algorithm):
    key = Ed25519PrivateKey.generate()
    links = chained(algorithm)
    verified = verify_log(rows(), links, [signed(key, links[-1])], keys_by_id([key.public_key()]))
    assert (verified.events, verified.head_position, verified.head_hash, verified.algorithm) == (4, 5, links[-1].hash, algorithm)


def test_sm3_and_sha256_chains_differ_and_each_record_names_its_algorithm():
    if "sm3" not in hashlib.algorithms_available:
        pytest.skip("no SM3 in this OpenSSL")
    assert chained("sm3")[-1].hash != chained("sha256")[-1].hash
    assert {link.algorithm for link in chained("sm3")} == {"sm3"}


def test_a_changed_byte_is_named_by_its_position():
    key = Ed25519PrivateKey.generate()
    links = chained("sha256")
    tampered = rows()
    tampered[2] = Row(4, tampered[2].originator_id, 1, tampered[2].topic, b'{"n": 40}')
    with pytest.raises(Divergence) as failed:
        verify_log(tampered, links, [signed(key, links[-1])], keys_by_id([key.public_key()]))
    assert failed.value.position == 4 and "edited" in failed.value.message
