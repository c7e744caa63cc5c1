"""The import circles of our packages are the ones docs/architecture.md lists, no more and no fewer.

Every import statement counts, at module level or inside a function (a lazy import still ties two modules),
and so does a plugin pytest is told to load by name (`pluginmanager.import_plugin("...")`, `"-p", "..."`).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("fuel_health", "devops_envs", "system_tests", "benchmarks")
# The open circles, as docs/architecture.md "Known circles" lists them: none since issue 17's layer move.
KNOWN: list[list[str]] = []


def modules() -> dict[str, Path]:
    found = {}
    for top in PACKAGES:
        for path in (REPO / top).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if "build" in parts or "_fixtures" in parts:  # vcsim's Go build tree; the data symlink
                continue
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the modules of ours it imports (a name resolves to its longest known module prefix)."""

    def known(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_plugin" \
                    and node.args and isinstance(node.args[0], ast.Constant):
                names = [str(node.args[0].value)]
            elif isinstance(node, ast.Tuple | ast.List):  # argv pieces: "-p", "package.module"
                items = [e.value if isinstance(e, ast.Constant) else None for e in node.elts]
                names = [str(b) for a, b in zip(items, items[1:], strict=False) if a == "-p" and b]
            else:
                continue
            for name in names:
                target = known(name)
                # An import of one's own package (its __init__) is not an arrow between layers.
                if target and target != mod and not mod.startswith(target + "."):
                    graph[mod].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return sorted(found)


def test_the_circle_finder_finds_a_planted_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [["a", "b", "c"]]


def test_the_import_circles_are_the_documented_ones():
    mods = modules()
    assert "fuel_health.pytest_plugin.plugin" in mods and "devops_envs.local.lab" in mods  # the walk sees the packages
    found = circles(import_graph(mods))
    assert found == KNOWN, (f"import circles {found}, docs/architecture.md lists {KNOWN}: break a new one, or "
                            "update the doc's 'Known circles' and KNOWN here")
    section = (REPO / "docs" / "architecture.md").read_text().split("## Known circles")[1].split("\n## ")[0]
    assert ("No import circles are left" in section) == (not KNOWN), "the doc's 'Known circles' disagrees"
    for module in (m for circle in KNOWN for m in circle):  # named there as `plugin`, `adapter/reporter`
        assert f"`{module.removeprefix('fuel_health.').replace('.', '/')}`" in section, module


def test_a_plugin_loaded_by_name_is_an_arrow(tmp_path: Path):
    """pytest's string imports tie modules too: the plugin once loaded its fixtures by name while they imported it."""
    sources = {"plugin": 'def configure(pm):\n    pm.import_plugin("p.fixtures")\n',
               "fixtures": "from p import plugin\n",
               "runner": 'ARGV = ("-p", "no:cacheprovider", "-p", "p.plugin")\n'}
    mods = {}
    for name, text in sources.items():
        (tmp_path / f"{name}.py").write_text(text)
        mods[f"p.{name}"] = tmp_path / f"{name}.py"
    graph = import_graph(mods)
    assert graph == {"p.plugin": {"p.fixtures"}, "p.fixtures": {"p.plugin"}, "p.runner": {"p.plugin"}}
    assert circles(graph) == [["p.fixtures", "p.plugin"]]


# fuel_health's layers, lowest first, as docs/architecture.md's "fuel_health/, by layer" table lists them.
LAYERS = [("fuel_data",), ("config",), ("clients",), ("steps",), ("pytest_plugin",), ("tests",), ("adapter",),
          ("cli", "__main__")]


def rank(module: str) -> int | None:
    """The layer of a fuel_health module (None outside fuel_health, or for the package itself)."""
    parts = module.split(".")
    if parts[0] != "fuel_health" or len(parts) < 2:
        return None
    return next((n for n, names in enumerate(LAYERS) if parts[1] in names), None)


def test_every_module_of_fuel_health_has_a_layer():
    unplaced = [m for m in modules() if m.startswith("fuel_health.") and rank(m) is None]
    assert unplaced == [], f"{unplaced}: add their folder to LAYERS here and to docs/architecture.md's table"


def upward(graph: dict[str, set[str]]) -> list[str]:
    """The imports of the graph from a lower layer of fuel_health into a higher one."""
    return sorted(f"{m} -> {t}" for m, targets in graph.items() for t in targets
                  if rank(m) is not None and rank(t) is not None and rank(t) > rank(m))  # type: ignore[operator]


def test_imports_point_down_the_layers():
    found = upward(import_graph(modules()))
    assert found == [], f"imports from a lower layer up into a higher one: {found}"


def test_the_layer_check_sees_an_upward_import(tmp_path: Path):
    # A planted step importing the plugin (steps sit below pytest_plugin) is flagged; the plugin importing a
    # step, and a step importing a client, are not.
    files = {"steps/zones.py": "from fuel_health.pytest_plugin import params\nfrom fuel_health.clients import x\n",
             "pytest_plugin/params.py": "from fuel_health.steps import zones\n", "clients/x.py": ""}
    mods = {}
    for rel, body in files.items():
        path = tmp_path / "fuel_health" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        mods["fuel_health." + rel.removesuffix(".py").replace("/", ".")] = path
    assert upward(import_graph(mods)) == ["fuel_health.steps.zones -> fuel_health.pytest_plugin.params"]
