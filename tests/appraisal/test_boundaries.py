"""appraisal must not import education (DESIGN.md: arrows point one way)."""

import ast
from pathlib import Path

import appraisal


def test_appraisal_does_not_import_education():
    root = Path(appraisal.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "education"]
    assert not offenders
