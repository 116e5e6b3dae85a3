#!/usr/bin/env python3
"""Check a coordination-ledger audit bundle offline: hash chain, signed checkpoints, report figures.

    python verify_bundle.py BUNDLE.zip [--public-key KEY.pem ...]

Needs only Python 3.9+ and the `cryptography` package: no database, no running service, no code of
the project. Exit 0 with `ok: N events, head <hash>` when everything checks; exit 1 naming the first
log position where the events, the chain or a signed checkpoint disagree, or naming a report figure
that does not recompute from the events.

Long because it must stand alone: one file a supervisor can read and run with no other code of ours.
This file is also the reference definition of the chain: the service imports it (as
`ledger_proof.verify_bundle`) for the record encoding, the chain step and the checkpoint message, so
the verifier handed to supervisors and the service can never disagree on them.

The chain: h_0 = a digest-sized run of zero bytes; h_n = H(h_{n-1} || record_n), where record_n is
the length-prefixed (8-byte big-endian) concatenation of the row's log position, originator id,
originator version (as decimal ASCII / canonical UUID text), topic (UTF-8) and stored state (raw
bytes), over the rows of the events table in log order. H is SHA-256, or SM3 where named.

Without `--public-key`, checkpoints are checked against the public key(s) shipped in the bundle:
that proves the bundle is self-consistent. Compare the key id printed with the one the office
publishes (GET /api/v1/ledger/head, the /ledger page), or pin it with `--public-key`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence

ALGORITHMS = ("sha256", "sm3")
CHECKPOINT_HEADER = "coordination-ledger checkpoint v1"
SHANGHAI = timezone(timedelta(hours=8))
"""Asia/Shanghai has kept +08:00 since 1991; a fixed offset needs no tz database (Windows has none)."""


# --- the chain --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One stored event, as the library's events table holds it."""

    position: int
    originator_id: str
    originator_version: int
    topic: str
    state: bytes


@dataclass(frozen=True)
class Link:
    """One record of the chain: the hash after the row at `position`, and the row chained before it."""

    position: int
    previous_position: int
    originator_id: str
    originator_version: int
    algorithm: str
    hash: str


@dataclass(frozen=True)
class Checkpoint:
    position: int
    hash: str
    algorithm: str
    signed_at: str
    key_id: str
    signature: str
    public_key: str = ""


def check_algorithm(algorithm: str) -> str:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown chain algorithm {algorithm!r}; expected one of {', '.join(ALGORITHMS)}")
    if algorithm not in hashlib.algorithms_available:
        raise ValueError(f"this Python's hashlib has no {algorithm} (OpenSSL without it)")
    return algorithm


def genesis(algorithm: str) -> bytes:
    return bytes(hashlib.new(algorithm).digest_size)


def _field(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def canonical(row: Row) -> bytes:
    return b"".join(_field(part) for part in (
        str(row.position).encode("ascii"), str(row.originator_id).encode("ascii"),
        str(row.originator_version).encode("ascii"), row.topic.encode("utf-8"), bytes(row.state)))


def chain_step(previous: bytes, row: Row, algorithm: str) -> bytes:
    digest = hashlib.new(algorithm)
    digest.update(previous)
    digest.update(canonical(row))
    return digest.digest()


# --- checkpoints -------------------------------------------------------------------------------------


def checkpoint_message(position: int, hash_hex: str, algorithm: str, signed_at: str) -> bytes:
    """The exact bytes an Ed25519 checkpoint signature covers."""
    return (f"{CHECKPOINT_HEADER}\nposition {position}\nalgorithm {algorithm}\nhash {hash_hex}\n"
            f"signed_at {signed_at}\n").encode("ascii")


def key_id(raw_public_key: bytes) -> str:
    """A short, stable name of a public key: the first 16 hex digits of SHA-256 of its 32 raw bytes."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def load_public_key(data: bytes) -> Any:
    """An Ed25519 public key from PEM, or from its 32 raw bytes in base64."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if data.lstrip().startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(data)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(data.strip()))


def raw_public_key(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def keys_by_id(keys: Iterable[Any]) -> Dict[str, Any]:
    return {key_id(raw_public_key(k)): k for k in keys}


def signature_problem(checkpoint: Checkpoint, trusted: Dict[str, Any]) -> Optional[str]:
    """Why the checkpoint's signature cannot be trusted, or None when it verifies with a trusted key."""
    from cryptography.exceptions import InvalidSignature

    key = trusted.get(checkpoint.key_id)
    if key is None:
        return (f"position {checkpoint.position}: checkpoint signed by key {checkpoint.key_id}, which is not a "
                f"trusted key ({', '.join(sorted(trusted)) or 'none'})")
    try:
        key.verify(base64.b64decode(checkpoint.signature),
                   checkpoint_message(checkpoint.position, checkpoint.hash, checkpoint.algorithm, checkpoint.signed_at))
    except (InvalidSignature, ValueError):
        return (f"position {checkpoint.position}: the checkpoint signed_at {checkpoint.signed_at} does not verify "
                f"with key {checkpoint.key_id}: forged or altered")
    return None


# --- verifying a log against its chain and checkpoints ----------------------------------------------


class Divergence(Exception):
    """The first place where the log, its chain and its signed checkpoints disagree."""

    def __init__(self, position: int, message: str):
        super().__init__(message)
        self.position = position
        self.message = message


@dataclass(frozen=True)
class Verified:
    events: int
    head_position: int
    head_hash: str
    algorithm: str
    checkpoints: int


def verify_log(rows: Iterable[Row], links: Optional[Iterable[Link]], checkpoints: Sequence[Checkpoint],
               trusted: Dict[str, Any], default_algorithm: str = "sha256") -> Verified:
    """Recompute the chain over `rows` (in log order) and compare it with `links` and `checkpoints`.

    Raises Divergence at the first log position where a row was edited, deleted, inserted or reordered
    after it was chained, or where the recomputed chain disagrees with a signed checkpoint (which also
    catches a chain rewritten to match an edit). Rows after the last link are chained here (not yet
    chained by the service) and are covered only by checkpoints.
    """
    pending = sorted(checkpoints, key=lambda c: c.position)
    problems = {c.position: signature_problem(c, trusted) for c in pending}
    chain: Iterator[Link] = iter(links or ())
    link = next(chain, None)
    algorithm = link.algorithm if link else default_algorithm
    check_algorithm(algorithm)
    head = genesis(algorithm)
    previous = 0
    count = 0
    last_good_checkpoint = 0
    for row in rows:
        if link is not None and link.position < row.position:
            raise Divergence(link.position, f"position {link.position}: the event chained there ({link.originator_id} "
                                            f"version {link.originator_version}) is missing from the log: deleted")
        if link is not None and link.position == row.position:
            algorithm = check_algorithm(link.algorithm)
            if link.previous_position != previous:
                raise Divergence(row.position, f"position {row.position}: the chain links it to position "
                                               f"{link.previous_position}, the log to position {previous}")
            head = chain_step(head, row, algorithm)
            if head.hex() != link.hash:
                if (str(row.originator_id), row.originator_version) != (link.originator_id, link.originator_version):
                    raise Divergence(row.position, (
                        f"position {row.position}: holds {row.originator_id} version {row.originator_version}, but "
                        f"{link.originator_id} version {link.originator_version} was chained there: reordered or replaced"))
                raise Divergence(row.position, f"position {row.position}: the stored event "
                                               f"({row.originator_id} version {row.originator_version}) was edited")
            link = next(chain, None)
        elif link is not None:
            raise Divergence(row.position, f"position {row.position}: a row that was never chained "
                                           f"({row.originator_id} version {row.originator_version}): inserted")
        else:
            head = chain_step(head, row, algorithm)
        previous = row.position
        count += 1
        while pending and pending[0].position <= row.position:
            checkpoint = pending.pop(0)
            if problems[checkpoint.position]:
                raise Divergence(checkpoint.position, problems[checkpoint.position])
            if checkpoint.position < row.position:
                raise Divergence(checkpoint.position, f"position {checkpoint.position}: a checkpoint covers a row "
                                                      "that is no longer in the log: deleted")
            if checkpoint.hash != head.hex() or checkpoint.algorithm != algorithm:
                raise Divergence(checkpoint.position, (
                    f"position {checkpoint.position}: the chain head {head.hex()} differs from the checkpoint signed "
                    f"{checkpoint.signed_at} ({checkpoint.hash}); the log and its chain were rewritten between "
                    f"position {last_good_checkpoint} (last matching checkpoint) and {checkpoint.position}"))
            last_good_checkpoint = checkpoint.position
    if link is not None:
        raise Divergence(link.position, f"position {link.position}: the event chained there ({link.originator_id} "
                                        f"version {link.originator_version}) is missing from the log: deleted")
    for checkpoint in pending:
        raise Divergence(checkpoint.position, problems[checkpoint.position] or (
            f"position {checkpoint.position}: a checkpoint lies beyond the last row of the log ({previous}): deleted"))
    return Verified(count, previous, head.hex(), algorithm, len(checkpoints))


# --- the report's headline figures ----------------------------------------------------------------------

RECOMPUTED_FIGURES = ("meetings_held", "plenary_meetings", "office_meetings", "resolutions_adopted",
                      "tasks_assigned", "tasks_completed", "extensions_approved", "urgings")
"""Totals recomputed here from event types and instants alone. The others (on time, overdue, in progress)
need the deadline and working-day rules and are not recomputed by this script."""


def _plain(value: Any) -> Any:
    """Undo the library's JSON transcodings that matter here (instants, dates, UUIDs)."""
    if isinstance(value, dict):
        if set(value) == {"_type_", "_data_"}:
            kind, data = value["_type_"], value["_data_"]
            if kind == "datetime_iso":
                return datetime.fromisoformat(data)
            if kind == "date_iso":
                return date.fromisoformat(data)
            return data
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def event_type(topic: str) -> str:
    """`Task.Assigned` from `domain.tasks:Task.Assigned`."""
    return topic.rpartition(":")[2]


def period_bounds(code: str) -> tuple:
    year, half = int(code[:4]), int(code[5])
    if half == 1:
        return datetime(year, 1, 1, tzinfo=SHANGHAI), datetime(year, 7, 1, tzinfo=SHANGHAI)
    return datetime(year, 7, 1, tzinfo=SHANGHAI), datetime(year + 1, 1, 1, tzinfo=SHANGHAI)


def recompute_figures(rows: Iterable[Row], report: Dict[str, Any]) -> Dict[str, int]:
    """The RECOMPUTED_FIGURES of an issued report, from the raw events at positions ≤ its log position.

    Same definitions as the service (DESIGN.md "Report figures"): events "in P" are at an instant in
    [start of P, as_of) — up to and including as_of when the report was drafted before the period ended.
    """
    start, end = period_bounds(report["period"])
    as_of = datetime.fromisoformat(report["as_of"])
    until = as_of if as_of == end else as_of + timedelta(microseconds=1)
    upto = int(report["log_position"])
    counts = {name: 0 for name in RECOMPUTED_FIGURES}
    scheduled: Dict[str, Dict[str, Any]] = {}
    issued_minutes: List[str] = []
    for row in rows:
        if row.position > upto:
            break
        kind = event_type(row.topic)
        if kind not in {"Meeting.Scheduled", "Meeting.MinutesIssued", "Resolution.Adopted", "Task.Assigned",
                        "Task.CompletionDecided", "Task.ExtensionDecided", "Task.Urged"}:
            continue
        state = _plain(json.loads(bytes(row.state).decode("utf-8")))
        if kind == "Meeting.Scheduled":
            scheduled[str(row.originator_id)] = state
            continue
        at = state["at"]
        if not start <= at < until:
            continue
        if kind == "Meeting.MinutesIssued":
            issued_minutes.append(str(row.originator_id))
        elif kind == "Resolution.Adopted":
            counts["resolutions_adopted"] += 1
        elif kind == "Task.Assigned":
            counts["tasks_assigned"] += 1
        elif kind == "Task.CompletionDecided":
            counts["tasks_completed"] += bool(state.get("accepted"))
        elif kind == "Task.ExtensionDecided":
            counts["extensions_approved"] += bool(state.get("approved"))
        elif kind == "Task.Urged":
            counts["urgings"] += 1
    for meeting_id in issued_minutes:
        meeting = scheduled.get(meeting_id, {})
        day = meeting.get("date")
        if day is not None and start.date() <= day < end.date():
            counts["meetings_held"] += 1
            counts["plenary_meetings"] += meeting.get("kind") == "plenary"
            counts["office_meetings"] += meeting.get("kind") == "office"
    return counts


# --- the bundle -------------------------------------------------------------------------------------------


def bundle_rows(bundle: zipfile.ZipFile) -> Iterator[Row]:
    with bundle.open("events.jsonl") as lines:
        for line in io.TextIOWrapper(lines, encoding="utf-8"):
            if line.strip():
                e = json.loads(line)
                yield Row(e["position"], e["originator_id"], e["originator_version"], e["topic"],
                          base64.b64decode(e["state"]))


def bundle_links(bundle: zipfile.ZipFile) -> Iterator[Link]:
    with bundle.open("chain.jsonl") as lines:
        for line in io.TextIOWrapper(lines, encoding="utf-8"):
            if line.strip():
                yield Link(**json.loads(line))


def verify_bundle(path: str, pinned: Sequence[bytes] = ()) -> str:
    """The one-line verdict on a bundle; raises Divergence (or ValueError for a malformed bundle)."""
    with zipfile.ZipFile(path) as bundle:
        names = set(bundle.namelist())
        checkpoints = [Checkpoint(**c) for c in json.loads(bundle.read("checkpoints.json"))]
        if pinned:
            trusted = keys_by_id(load_public_key(k) for k in pinned)
        else:
            trusted = keys_by_id(load_public_key(bundle.read(n)) for n in sorted(names)
                                 if n.startswith("keys/") and n.endswith(".pem"))
        links = bundle_links(bundle) if "chain.jsonl" in names else None
        verified = verify_log(bundle_rows(bundle), links, checkpoints, trusted)
        lines = [f"ok: {verified.events} events, head {verified.head_hash}"]
        lines.append(f"checkpoints: {verified.checkpoints} verified with key(s) {', '.join(sorted(trusted)) or '-'}"
                     f"{' (pinned)' if pinned else ' (shipped in the bundle; compare with the published key id)'}")
        if "report.json" in names:
            lines.append(_check_report(bundle, verified))
    return "\n".join(lines)


def _check_report(bundle: zipfile.ZipFile, verified: Verified) -> str:
    content = bundle.read("report.json")
    report = json.loads(content)
    period, position = report["period"], int(report["log_position"])
    issued = None
    for row in bundle_rows(bundle):
        if event_type(row.topic) == "SupervisionReport.Issued":
            state = json.loads(bytes(row.state).decode("utf-8"))
            if state.get("period") == period:
                issued = (row.position, state)
    if issued is None:
        raise Divergence(position, f"position {position}: the log holds no issued {period} report")
    if issued[1]["content"].encode("utf-8") != content:
        raise Divergence(issued[0], f"position {issued[0]}: report.json differs from the {period} report issued there")
    if hashlib.sha256(content).hexdigest() != issued[1]["sha256"]:
        raise Divergence(issued[0], f"position {issued[0]}: the issued report's SHA-256 does not match its content")
    ledger = report.get("ledger")
    if ledger is not None:
        head = genesis(verified.algorithm)
        for row in bundle_rows(bundle):
            if row.position > int(ledger["position"]):
                break
            head = chain_step(head, row, verified.algorithm)
        if head.hex() != ledger["hash"]:
            raise Divergence(int(ledger["position"]), f"position {ledger['position']}: the chain head differs from "
                                                       f"the one the {period} report recorded ({ledger['hash']})")
    figures = recompute_figures(bundle_rows(bundle), report)
    wrong = [f"{name} {report['totals'][name]} (events give {figures[name]})" for name in RECOMPUTED_FIGURES
             if report["totals"].get(name) != figures[name]]
    if wrong:
        raise Divergence(position, f"position {position}: the {period} report's figures do not recompute: "
                                   + "; ".join(wrong))
    return (f"report {period} (log position {position}, sha256 {issued[1]['sha256'][:16]}…): "
            f"{len(RECOMPUTED_FIGURES)} figures recompute from the events: "
            + ", ".join(f"{n}={figures[n]}" for n in RECOMPUTED_FIGURES))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a coordination-ledger audit bundle offline.")
    parser.add_argument("bundle", help="the .zip written by `coordination export-audit`")
    parser.add_argument("--public-key", action="append", default=[], metavar="FILE",
                        help="trust only this Ed25519 public key (PEM); repeatable")
    args = parser.parse_args(argv)
    try:
        pinned = []
        for name in args.public_key:
            with open(name, "rb") as f:
                pinned.append(f.read())
        print(verify_bundle(args.bundle, pinned))
    except Divergence as exc:
        print(f"failed: {exc.message}")
        return 1
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        print(f"failed: the bundle cannot be read: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
