"""The read side: views maintained from the event log (boards, dashboard, registers, reports)."""
