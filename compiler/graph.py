"""Pass 4, graph: which computed quantity depends on which, as a networkx.DiGraph.

Nodes are the names of score blocks and definitions; an edge a -> b means b uses a.
A cycle is reported with the span of every member.
"""
from __future__ import annotations

from . import ir
from .diagnostics import Diagnostics


def dependency_graph(policy: ir.Policy, diagnostics: Diagnostics):
    """Build the dependency graph; report cycles. Returns the graph."""
    import networkx as nx

    graph = nx.DiGraph()
    spans = {}
    uses = {}                     # (a, b) -> where b uses a, for the caret of a cycle
    for block in policy.blocks:
        graph.add_node(block.name, kind="block")
        spans[block.name] = block.span
        for condition in block.conditions:
            for name in references(condition.expr):
                graph.add_edge(name, block.name)
                uses.setdefault((name, block.name), condition.span)
        for clause in block.clauses:
            if clause.share_of is not None:
                for name in references(clause.share_of):
                    graph.add_edge(name, block.name)
                    uses.setdefault((name, block.name), clause.span)
    for definition in policy.definitions:
        graph.add_node(definition.name, kind="output" if definition.output else "definition")
        spans[definition.name] = definition.span
        for name in references(definition.expr):
            graph.add_edge(name, definition.name)

    def place(name):
        span = spans[name]
        return (span.line, span.column) if span is not None else (0, 0)

    cycles = []
    for cycle in nx.simple_cycles(graph):
        if not all(n in spans for n in cycle):
            continue
        start = min(range(len(cycle)), key=lambda i: place(cycle[i]))   # the same report on every run
        cycles.append(cycle[start:] + cycle[:start])
    for cycle in sorted(cycles, key=lambda c: [place(n) for n in c]):
        first = cycle[0]
        where = uses.get((cycle[-1], first), spans[first]) if len(cycle) == 1 else spans[first]
        diagnostics.add("GR401", where, cycle=" → ".join(cycle + [cycle[0]]),
                        related=tuple(spans[n] for n in cycle[1:]),
                        hint="一个量不能直接或间接用到它自己；条件条款不能用它所在的计分项，可放进另一个计分项")
    return graph


def references(expr: ir.Expr):
    """Names of the quantities an expression uses."""
    if isinstance(expr, ir.Quantity):
        yield expr.name
    elif isinstance(expr, ir.ItemCount):
        yield expr.block
    elif isinstance(expr, ir.PeriodTotal):
        yield expr.name
    else:
        for child in ir.children(expr):
            yield from references(child)
