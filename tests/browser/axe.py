"""axe-core (through axe-playwright-python's bundled script): the serious and critical violations of a page."""

from __future__ import annotations

from functools import cache

SERIOUS = ("serious", "critical")


@cache
def axe_script() -> str:
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


def preload(context) -> None:
    """Load axe-core into every page of a context as it opens (cheaper than sending it after each load)."""
    context.add_init_script(axe_script())


def serious_violations(page) -> list[str]:
    """Each violation of impact serious or critical: rule (impact): help — the first nodes it names."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_script())
    results = page.evaluate("axe.run({resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results["violations"] if v.get("impact") in SERIOUS]
