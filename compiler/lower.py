"""Pass 5, lower: the IR and its dependency graph -> an evaluation plan.

The plan fixes the order in which quantities are computed and builds the lookups the
runtime needs, so that the runtime never looks at syntax: rows are dispatched to clauses
by event, and names are matched through dictionaries of normalised spellings.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import ir
from .normalize import normalize


@dataclass(frozen=True)
class Plan:
    policy: ir.Policy
    order: tuple[str, ...]                               # quantity names, dependencies first
    dispatch: dict[str, tuple[tuple[int, int], ...]]     # event -> (block index, clause index)
    units: dict[str, str]                                # normalised name or alias -> unit
    publications: dict[str, str]                         # normalised name or alias -> publication
    events: dict[str, ir.EventKind]                      # normalised name -> event kind
    unit_groups: dict[str, ir.Group]                     # unit -> its group
    blocks: dict[str, ir.Block]
    definitions: dict[str, ir.Definition]
    unit_values: dict[str, dict[str, object]]            # table -> unit -> value
    bundles: dict[str, tuple[str, ...]]                  # unit -> the units scored with it
    rank_tables: dict[str, dict[str, ir.RankTableRow]]   # table -> group -> row
    parameters: dict[str, object]                        # name -> default
    count_patterns: tuple[ir.RowPattern, ...] = ()       # every 条数（…） in the policy
    static_events: frozenset[str] = frozenset()          # events whose clauses match by a row's names alone


def lower(policy: ir.Policy, graph) -> Plan:
    """Order the quantities and build the runtime's lookups."""
    import networkx as nx

    blocks = {b.name: b for b in policy.blocks}
    definitions = {d.name: d for d in policy.definitions}
    known = set(blocks) | set(definitions)
    order = tuple(n for n in nx.topological_sort(graph) if n in known)
    dispatch: dict[str, list[tuple[int, int]]] = {}
    for b, block in enumerate(policy.blocks):
        for c, clause in enumerate(block.clauses):
            for event in clause.pattern.events:
                dispatch.setdefault(event, []).append((b, c))
    units = {}
    for unit in policy.units:
        for spelling in (unit.name, *unit.aliases):
            units.setdefault(normalize(spelling), unit.name)
    publications = {}
    for publication in policy.publications:
        for spelling in (publication.name, *publication.aliases):
            publications.setdefault(normalize(spelling), publication.name)
    groups = {g.name: g for g in policy.groups}
    bundles = {u.name: (u.name,) for u in policy.units}
    for bundle in policy.bundles:
        for unit in bundle:
            bundles[unit] = bundle
    return Plan(
        policy=policy, order=order,
        dispatch={e: tuple(v) for e, v in dispatch.items()},
        units=units, publications=publications,
        events={e.name: e for e in policy.events},
        unit_groups={u.name: groups[u.group] for u in policy.units},
        blocks=blocks, definitions=definitions,
        unit_values={t.name: dict(t.values) for t in policy.unit_values},
        bundles=bundles,
        rank_tables={t.name: {r.group: r for r in t.rows} for t in policy.rank_tables},
        parameters={p.name: p.default for p in policy.parameters},
        count_patterns=_count_patterns(policy),
        static_events=frozenset(e for e, places in dispatch.items() if all(
            c.pattern.by_names and all(x.by_names for x in c.exceptions)
            for c in (policy.blocks[b].clauses[i] for b, i in places))))


def _count_patterns(policy: ir.Policy) -> tuple[ir.RowPattern, ...]:
    """The row patterns of every 条数（…）, wherever it is written."""
    found: dict[ir.RowPattern, None] = {}
    stack: list = [d.expr for d in policy.definitions]
    for block in policy.blocks:
        stack += [c.expr for c in block.conditions]
        stack += [c.share_of for c in block.clauses if c.share_of is not None]
    while stack:
        expr = stack.pop()
        if isinstance(expr, ir.Count):
            found.setdefault(expr.pattern)
        stack.extend(ir.children(expr))
    return tuple(found)
