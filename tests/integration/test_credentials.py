"""Issue 9 — secrets out of the event log: the demo writes none, and an old log that holds password hashes
(class version 1 of User.Registered and User.PasswordChanged) still replays without ever showing them."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from coordination.bootstrap import open_ledger
from coordination.storage import connect
from domain.deadlines import SHANGHAI
from entrypoints.demo import DEMO_PASSWORD, load_demo
from projections.eventlog import EventLog
from tests.conftest import ADMIN, secrets_in_the_log

pytestmark = pytest.mark.db


def test_the_demo_keeps_its_passwords_in_the_credentials_table_and_none_in_the_log(runtime, clock):
    clock.set(datetime(2026, 11, 22, 12, tzinfo=SHANGHAI))
    load_demo(runtime.ledger)
    assert secrets_in_the_log(runtime.url, runtime.schema) == []
    with connect(runtime.url, schema=runtime.schema) as conn:
        hashes = dict(conn.execute("SELECT username, password_hash FROM user_credentials").fetchall())
    assert hashes["office"].startswith("$argon2") and len(hashes) >= 29
    assert runtime.ledger.authenticate("finance-liaison", DEMO_PASSWORD).unit == "finance"


def test_an_old_log_with_password_hashes_replays_and_never_shows_them(runtime):
    ledger = runtime.ledger
    ledger.register_user(ADMIN, username="legacy1", password="Initial pw 2026", unit="finance", roles=["liaison"])
    ledger.change_password(ADMIN, "legacy1", password="Second pw 2026", reason="重置")
    legacy = "legacy-hash-written-by-version-1"  # in a real old log: an argon2 hash
    with connect(runtime.url, schema=runtime.schema) as conn:  # rewrite both rows as version 1 wrote them
        for topic, drop in (("domain.users:User.Registered", ()), ("domain.users:User.PasswordChanged", ("how", "reason"))):
            position, state = conn.execute("SELECT notification_id, state FROM ledger_events WHERE topic = %s"
                                           " ORDER BY notification_id DESC LIMIT 1", (topic,)).fetchone()
            data = json.loads(bytes(state))
            assert "password_hash" not in data and data.pop("class_version") == 2
            for name in drop:
                data.pop(name)
            data["password_hash"] = legacy
            conn.execute("UPDATE ledger_events SET state = %s WHERE notification_id = %s",
                         (json.dumps(data).encode(), position))
        conn.commit()
    fresh = open_ledger(runtime.settings, schema=runtime.schema).ledger  # no cached aggregate
    try:
        user = fresh.user("legacy1")
        assert user.unit == "finance" and not hasattr(user, "password_hash")
        shown = [e.data for e in EventLog(fresh).read() if e.type.startswith("User.")]
        assert shown and not any(legacy in json.dumps(d, default=str) for d in shown)
    finally:
        fresh.close()
