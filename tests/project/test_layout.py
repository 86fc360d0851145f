"""The layout of docs/architecture.md, checked: no feature reaches into another's private names.

import-linter (`make lint`) keeps the layers and forbids import cycles; what it cannot see is a module
taking `_thing` from another feature, which ties the two together as surely as a cycle does. A feature
is a folder inside an app (polling/checklists/, reports/statements/) or a module at an app's root
(missions/access.py).
"""

import ast

import pytest

from tests.helpers.paths import REPO

APPS = ("config", "missions", "polling", "reports", "demo")


def _modules():
    for app in APPS:
        for path in sorted((REPO / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(REPO).with_suffix("").parts)
            yield name, path


def feature_of(module: str) -> str:
    """polling.checklists.editing -> polling.checklists; missions.access -> missions.access."""
    parts = module.split(".")
    if len(parts) >= 3 or (len(parts) == 2 and (REPO / parts[0] / parts[1]).is_dir()):
        return ".".join(parts[:2])
    return module


# Django's documented model API starts with an underscore too.
PUBLIC_ANYWAY = {"_meta", "_default_manager", "_base_manager"}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in PUBLIC_ANYWAY


def reach_ins(module: str, source: str) -> list[str]:
    """Every private name `module` takes from a module of another feature, as 'line: what'.

    `module` is the dotted name of the file (a package's is `pkg.__init__`).
    """
    found, aliases = [], {}
    tree = ast.parse(source)
    package = module.rsplit(".", 1)[0]
    module = module.removesuffix(".__init__")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            if target.split(".")[0] not in APPS:
                continue
            for alias in node.names:
                full = f"{target}.{alias.name}"
                if _private(alias.name) and feature_of(target) != feature_of(module):
                    found.append(f"{node.lineno}: from {target} import {alias.name}")
                aliases[alias.asname or alias.name] = full
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in APPS:
                    aliases[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name):
            target = aliases.get(node.value.id)
            if target and feature_of(target) != feature_of(module):
                found.append(f"{node.lineno}: {node.value.id}.{node.attr} ({target})")
    return found


def test_no_feature_uses_another_features_private_names():
    broken = {}
    for module, path in _modules():
        found = reach_ins(module, path.read_text(encoding="utf-8"))
        if found:
            broken[str(path.relative_to(REPO))] = found
    assert broken == {}, "make the name public where it is, or move the code that needs it"


@pytest.mark.parametrize(
    "module, source, expected",
    [
        ("demo.builder", "from polling.stations.importing.service import _ensure_areas\n", 1),
        ("missions.audit.views", "from polling.stations import views\nviews._matching_stations()\n", 1),
        ("polling.checklists.importing", "from .editing import _checklist_new\n", 0),
        ("polling.checklists.importing", "from polling.checklists.editing import _checklist_new\n", 0),
        ("reports.results.views", "from reports.results.panels import panel_html\n", 0),
    ],
)
def test_the_check_sees_a_reach_in(module, source, expected):
    assert len(reach_ins(module, source)) == expected
