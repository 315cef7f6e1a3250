"""The packages' import graph: data flows one way (api -> pipeline -> storage, config), no
module imports itself back through others, not even from inside a function, and no method
folder imports another's (what two methods share lives outside both)."""

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("api", "pipeline", "storage", "config")
METHODS = "pipeline.methods"
# Which of our packages each may import.
ALLOWED = {
    "api": {"api", "pipeline", "storage", "config"},
    "pipeline": {"pipeline", "storage", "config"},
    "storage": {"storage"},
    "config": {"config"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_graph() -> dict[str, set[str]]:
    """Every module of ours and the modules of ours that importing it runs. Importing
    ``a.b.c`` first runs the packages ``a`` and ``a.b``, except those the importer already
    lives in (Python has initialised them before it)."""
    paths = [path for package in PACKAGES for path in (REPO / package).rglob("*.py")]
    modules = {_module_name(path): path for path in paths}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for target in (t for t in targets if t in modules):
                found.update([target, *_ancestors(target)])
        own = {name, *_ancestors(name)}
        graph[name] = {t for t in found if t in modules and t not in own}
    return graph


def _cycle_from(graph: dict[str, set[str]], start: str) -> list[str] | None:
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for target in graph[node]:
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def test_packages_import_only_downstream() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if target.split(".")[0] not in ALLOWED[module.split(".")[0]]
    ]
    assert wrong == []


def test_no_module_imports_itself_back() -> None:
    graph = import_graph()
    cycles = [" -> ".join(cycle) for module in graph if (cycle := _cycle_from(graph, module))]
    assert cycles == []


def _method_folder(module: str) -> str | None:
    """The method folder (``pipeline/methods/<name>/``) a module lives in, if any."""
    parts = module.split(".")
    prefix = METHODS.split(".")
    if parts[: len(prefix)] != prefix or len(parts) <= len(prefix):
        return None
    folder = REPO.joinpath(*prefix, parts[len(prefix)])
    return parts[len(prefix)] if (folder / "__init__.py").is_file() else None


def test_no_method_imports_another() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if (folder := _method_folder(module)) is not None
        for target in targets
        if _method_folder(target) not in (None, folder)
    ]
    assert wrong == []


def test_the_api_starts_without_the_chunk_kernels_compiler() -> None:
    """numba is a third of the API's import time, and only workers run chunks."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from api.main import create_app; create_app(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numba', 'numpy')))",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
