"""Tamper evidence for operators: `coordination verify` and the offline audit bundle (`export-audit`)."""

from __future__ import annotations

import base64
import importlib.util
import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import structlog

from coordination.bootstrap import Runtime
from coordination.signing import public_pem, trusted_keys
from coordination.storage import connect
from domain.reports import Period
from ledger_proof import verify_bundle
from ledger_proof.verify_bundle import RECOMPUTED_FIGURES, Verified, load_public_key
from projections import chain

log = structlog.get_logger(__name__)

BUNDLE_README = """协调机制台账 审计包 / coordination ledger audit bundle

离线校验(无需数据库、无需本系统,只需 Python 3 与 cryptography 包):
    pip install cryptography
    python verify_bundle.py {name} [--public-key 办公室公布的公钥.pem]
输出 "ok: N events, head <hash>" 且退出码为 0 表示:事件日志与哈希链一致,每个签名检查点均验证通过,
报告与日志中印发的报告一致,报告的主要数字可由事件重新计算。否则退出码为 1,并指出第一个不一致的日志位置。

Contents: events.jsonl (raw stored rows, state in base64), chain.jsonl (the service's chain records),
checkpoints.json (signed chain heads), keys/<key_id>.pem (public keys), report.json (the issued report,
byte for byte), documents/ (its documents, when the service makes them), manifest.json, verify_bundle.py.
Figures recomputed from the events: {figures}.
"""


def verify_store(runtime: Runtime) -> Verified:
    """Recompute the whole chain from the events table; raises Divergence at the first bad position."""
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        return chain.verify(conn, trusted_keys(runtime.settings), algorithm=runtime.settings.ledger_hash)


def export_audit(runtime: Runtime, period_code: str, out: Path) -> dict[str, Any]:
    """Write the audit bundle of an issued report: the whole log, the chain, checkpoints, keys, report."""
    period = Period.parse(period_code)
    issued = runtime.ledger.issued_report(period)  # NotFound when the period's report was not issued
    trusted = trusted_keys(runtime.settings) or {}
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            events = 0
            with bundle.open("events.jsonl", "w") as f:
                for row in chain._rows(conn):
                    f.write(_line({"position": row.position, "originator_id": row.originator_id,
                                   "originator_version": row.originator_version, "topic": row.topic,
                                   "state": base64.b64encode(row.state).decode("ascii")}))
                    events += 1
            with bundle.open("chain.jsonl", "w") as f:
                for link in chain._links(conn):
                    f.write(_line(link.__dict__))
            checkpoints = chain.checkpoints(conn)
            head = chain.head(conn)
        bundle.writestr("checkpoints.json", json.dumps([c.__dict__ for c in checkpoints], indent=1))
        keys = dict(trusted)
        for checkpoint in checkpoints:
            keys.setdefault(checkpoint.key_id, load_public_key(checkpoint.public_key.encode()))
        for key_id, key in sorted(keys.items()):
            bundle.writestr(f"keys/{key_id}.pem", public_pem(key))
        bundle.writestr("report.json", issued.content.encode("utf-8"))
        documents = _documents(issued.content)
        for name, data in documents.items():
            bundle.writestr(f"documents/{name}", data)
        manifest = {
            "period": period.code, "report_log_position": issued.log_position, "report_sha256": issued.sha256,
            "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "events": events,
            "chain_head": head, "checkpoints": len(checkpoints), "keys": sorted(keys),
            "documents": sorted(documents), "recomputed_figures": list(RECOMPUTED_FIGURES),
        }
        bundle.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        bundle.writestr("verify_bundle.py", Path(verify_bundle.__file__).read_bytes())
        bundle.writestr("README.txt", BUNDLE_README.format(name=out.name, figures=", ".join(RECOMPUTED_FIGURES)))
    log.info("ledger.bundle_exported", period=period.code, events=events, path=str(out))
    return manifest


def _line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _documents(content: str) -> dict[str, bytes]:
    """The issued report's documents, from a `documents` package offering `issued_files(content)` → {name: bytes}.

    The documents package is built separately; without it (or without that function) the bundle has none.
    """
    if importlib.util.find_spec("documents") is None:
        return {}
    import documents

    make = getattr(documents, "issued_files", None)
    if make is None:
        log.warning("ledger.bundle_without_documents", reason="documents.issued_files() not found")
        return {}
    return dict(make(content))
