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
    for block in policy.blocks:
        graph.add_node(block.name, kind="block")
        spans[block.name] = block.span
        for condition in block.conditions:
            for name in references(condition.expr):
                graph.add_edge(name, block.name)
        for clause in block.clauses:
            if clause.share_of is not None:
                for name in references(clause.share_of):
                    graph.add_edge(name, block.name)
    for definition in policy.definitions:
        graph.add_node(definition.name, kind="output" if definition.output else "definition")
        spans[definition.name] = definition.span
        for name in references(definition.expr):
            graph.add_edge(name, definition.name)
    for cycle in nx.simple_cycles(graph):
        members = [n for n in cycle if n in spans]
        if not members:
            continue
        first = members[0]
        diagnostics.add("GR401", spans[first], cycle=" → ".join(cycle + [cycle[0]]),
                        related=tuple(spans[n] for n in members[1:]),
                        hint="每个量只能依赖在它之前算出的量")
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
