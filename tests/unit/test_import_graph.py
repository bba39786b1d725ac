"""Rules on tunelab's import graph that import-linter's contracts cannot state.

No import cycle inside ``tunelab``, and the server uses the jobs package only through its
public names. The graph is import-linter's (grimp): every ``import`` in the source,
including those made inside functions and under ``TYPE_CHECKING``.
"""

import functools

import grimp
import pytest

PACKAGE = "tunelab"
SERVER_PRIVATE_JOB_IMPORTS_ALLOWED: set[tuple[str, str]] = set()


@functools.cache
def tunelab_graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, cache_dir=None)


def private_job_imports(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    """(importer, imported) for every direct import of a private ``tunelab.jobs._*`` module
    by a module of ``tunelab.server``."""
    found = set()
    for module in graph.find_descendants("tunelab.server") | {"tunelab.server"}:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith("tunelab.jobs._"):
                found.add((module, imported))
    return found


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = []
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work.append((root, sorted(graph.find_modules_directly_imported_by(root))))
        while work:
            node, targets = work[-1]
            if targets:
                target = targets.pop()
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, sorted(graph.find_modules_directly_imported_by(target))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("p", "p.a", "p.b", "p.c", "p.d"):
        graph.add_module(name)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.c")
    graph.add_import(importer="p.c", imported="p.a")
    graph.add_import(importer="p.d", imported="p.a")
    assert import_cycles(graph) == [["p.a", "p.b", "p.c"]]


def test_tunelab_has_no_import_cycle() -> None:
    graph = tunelab_graph()
    assert len(graph.modules) > 100  # the whole package was read
    cycles = import_cycles(graph)
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_server_uses_only_the_public_names_of_jobs() -> None:
    found = private_job_imports(tunelab_graph())
    assert found - SERVER_PRIVATE_JOB_IMPORTS_ALLOWED == set(), (
        "import what the server needs from tunelab.jobs or tunelab.entities instead"
    )


@pytest.mark.parametrize("imported", ["tunelab.jobs._eda_job", "tunelab.jobs"])
def test_the_private_import_check_tells_private_from_public(imported: str) -> None:
    graph = grimp.ImportGraph()
    for name in ("tunelab", "tunelab.server", "tunelab.server.x", "tunelab.jobs", imported):
        graph.add_module(name)
    graph.add_import(importer="tunelab.server.x", imported=imported)
    expected = {("tunelab.server.x", imported)} if imported != "tunelab.jobs" else set()
    assert private_job_imports(graph) == expected
