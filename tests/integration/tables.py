"""Every row of the views' tables, and a comparison that names only what differs.

Comparing two whole snapshots with `==` prints thousands of rows when one of them differs; CI keeps the
last lines of the output, so the message says which table, which rows, and nothing else.
"""

from __future__ import annotations

from typing import Any

import psycopg

from projections.worker import all_views


def view_tables(conn: psycopg.Connection, ledger: Any) -> dict[str, list[tuple]]:
    """Each view table's rows, ordered by every column (so ties cannot reorder them)."""
    snapshot = {}
    for view in all_views(ledger):
        for table in view.tables:
            (columns,) = conn.execute("SELECT count(*) FROM information_schema.columns"
                                      " WHERE table_schema = current_schema() AND table_name = %s", (table,)).fetchone()
            order = ", ".join(str(i) for i in range(1, columns + 1))
            snapshot[table] = conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    return snapshot


def differences(expected: dict[str, list[tuple]], actual: dict[str, list[tuple]], limit: int = 3) -> str:
    """'' when equal; otherwise, per differing table, the counts and a few rows found on one side only."""
    lines = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table, []), actual.get(table, [])
        if want == got:
            continue
        missing = [r for r in want if r not in got]
        extra = [r for r in got if r not in want]
        lines.append(f"{table}: {len(want)} rows expected, {len(got)} found;"
                     f" {len(missing)} missing, {len(extra)} unexpected")
        lines += [f"  missing    {r!r}"[:600] for r in missing[:limit]]
        lines += [f"  unexpected {r!r}"[:600] for r in extra[:limit]]
        if not missing and not extra:
            lines.append("  (the same rows in another order)")
    return "\n".join(lines)
