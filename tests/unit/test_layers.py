"""The house: imports run one way — entry points → web → coordination → domain; projections → domain.

`ledger_proof` (the chain's reference definition and the offline verifier) stands alone at the bottom:
it imports nothing of ours, and the write and read sides may use it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = {"domain", "coordination", "projections", "web", "entrypoints", "documents", "benchmarks", "ledger_proof"}
MAY_IMPORT = {
    "domain": {"domain"},
    "coordination": {"coordination", "domain", "ledger_proof"},
    "projections": {"projections", "domain", "ledger_proof"},
    "documents": {"documents", "domain"},
    "web": {"web", "coordination", "projections", "documents", "domain", "ledger_proof"},
    "ledger_proof": set(),
}
OWN_CODE = sorted({*MAY_IMPORT, "entrypoints", "benchmarks", "faults"})  # all that is ours and not tests


def imports_of(path: Path) -> set[str]:
    """The top-level packages of ours that a module imports, wherever in the module the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found & OURS


def test_no_import_runs_up_the_layers():
    upward = []
    for package, allowed in MAY_IMPORT.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for imported in sorted(imports_of(path) - allowed):
                upward.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert upward == []


def test_the_layer_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from web.runtime import ledger\n    import projections.queries\n")
    assert imports_of(module) == {"web", "projections"}


def test_modules_stay_small_or_say_why():
    long = []
    for package in OWN_CODE:
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            docstring = ast.get_docstring(ast.parse(text)) or ""
            if text.count("\n") > 300 and "long because" not in docstring.lower():
                long.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
    assert long == []
