"""Pass 2, build: the syntax tree's declarations -> IR declarations and the vocabulary.

Reads the period, levels, publications, forms, categories, tags, event kinds and unit
groups. Reports what the declarations themselves contradict: a unit in two groups, a
count that its list contradicts, weights that do not add up.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from . import ir
from . import syntax as S
from .diagnostics import Diagnostics, did_you_mean
from .normalize import normalize, to_simplified
from .segment import (CATEGORY, EVENT, FORM, GROUP, LEVEL, PUBLICATION, SET, TAG, Vocabulary,
                      default_vocabulary, segment)

DEFAULT_YEAR = 2023
BUILTIN_EVENTS = ("报送", "采用", "批示")


@dataclass
class Declarations:
    title: str
    document_number: str | None
    period: ir.Period
    subunits_count_for_parent: bool
    level_aliases: tuple[tuple[str, str], ...]
    publications: tuple[ir.Publication, ...]
    forms: frozenset[str]
    categories: frozenset[str]
    tags: frozenset[str]
    events: tuple[ir.EventKind, ...]
    groups: tuple[ir.Group, ...]
    units: tuple[ir.Unit, ...]
    weights: tuple[ir.WeightSet, ...]
    vocabulary: Vocabulary
    unit_values: tuple[ir.UnitValues, ...] = ()
    bundles: tuple[tuple[str, ...], ...] = ()
    rank_tables: tuple[ir.RankTable, ...] = ()
    parameters: tuple[ir.ParameterDecl, ...] = ()
    sets: tuple[tuple[str, ir.RowPattern], ...] = ()
    trees: tuple[ir.Tree, ...] = ()


def build(policy: S.PolicySyntax, diagnostics: Diagnostics) -> Declarations:
    """Turn the declarations of a parsed policy into IR, checking them against each other."""
    headers = {h.key: h for h in policy.headers}
    vocab = default_vocabulary()

    level_aliases = []
    for decl in policy.levels:
        for alias in decl.aliases:
            level_aliases.append((normalize(alias.value), decl.level))
            vocab.add(alias.value, LEVEL, decl.level)
        vocab.add(decl.level + "级", LEVEL, decl.level)
    for level in ir.LEVELS:
        vocab.add(level + "级", LEVEL, level)

    publications = []
    for decl in policy.publications:
        name = normalize(decl.name.value)
        aliases = tuple(normalize(a.value) for a in decl.aliases)
        publications.append(ir.Publication(name, frozenset(t.value for t in decl.levels), aliases, decl.span))
        for surface in (name, *aliases):
            vocab.add(surface, PUBLICATION, name)

    kinds = {"form": (FORM, set()), "category": (CATEGORY, set()), "tag": (TAG, set())}
    for decl in policy.vocab:
        role, names = kinds[decl.kind]
        for text in decl.names:
            names.add(normalize(text.value))
            vocab.add(text.value, role, normalize(text.value))

    events = [ir.EventKind(name, True) for name in BUILTIN_EVENTS]
    for decl in policy.events:
        name = normalize(decl.name.value)
        if name in BUILTIN_EVENTS or any(e.name == name for e in events):
            diagnostics.add("GR104", decl.name.span, name=decl.name.value,
                            hint="报送、采用、批示是台账的内置事项，不必也不能再声明" if name in BUILTIN_EVENTS else None)
            continue
        events.append(ir.EventKind(name, decl.measure is None, decl.span))
        vocab.add(name, EVENT, name)

    groups, units = _groups(policy.groups, diagnostics)
    for group in groups:
        vocab.add(group.name, GROUP, group.name)

    weights = []
    for decl in policy.weights:
        total = sum((w for _, w in decl.weights), Fraction(0))
        if total != 1:
            diagnostics.add("GR203", decl.name.span, name=decl.name.value, total=_percent(total),
                            hint="按文件原样声明时可保留此提示；否则请核对各项权重")
        weights.append(ir.WeightSet(normalize(decl.name.value),
                                    tuple((normalize(t.value), w) for t, w in decl.weights), decl.span))

    lookup = _UnitLookup(units)
    unit_values = tuple(_unit_values(d, lookup, diagnostics) for d in policy.unit_values)
    bundles = tuple(b for b in (_bundle(d, lookup, diagnostics) for d in policy.bundles) if len(b) > 1)
    rank_tables = tuple(_rank_table(d, groups, diagnostics) for d in policy.rank_tables)
    parameters = _parameters(policy.parameters, diagnostics)
    sets = _sets(policy.sets, vocab, diagnostics)
    trees = tuple(_tree(d, diagnostics) for d in policy.trees)

    if "subunits" in headers:
        _check_subunits(headers["subunits"], diagnostics)

    title = to_simplified(headers["title"].value.value) if "title" in headers else ""
    docno = to_simplified(headers["docno"].value.value) if "docno" in headers else None
    return Declarations(
        title=title, document_number=docno, period=_period(policy.period),
        subunits_count_for_parent="subunits" in headers,
        level_aliases=tuple(level_aliases), publications=tuple(publications),
        forms=frozenset(kinds["form"][1]), categories=frozenset(kinds["category"][1]),
        tags=frozenset(kinds["tag"][1]), events=tuple(events), groups=tuple(groups),
        units=tuple(units), weights=tuple(weights), vocabulary=vocab,
        unit_values=unit_values, bundles=bundles, rank_tables=rank_tables,
        parameters=parameters, sets=sets, trees=trees)


def _period(decl: S.PeriodDecl | None) -> ir.Period:
    if decl is None:
        return ir.Period(f"{DEFAULT_YEAR}-01-01", f"{DEFAULT_YEAR}-12-31", False)
    if decl.start:
        return ir.Period(decl.start, decl.end, True)
    return ir.Period(f"{decl.year}-01-01", f"{decl.year}-12-31", decl.named)


_PAREN = re.compile(r"^(.*?)[（(](.*?)[）)](.*)$")


def split_unit_name(text: str) -> tuple[str, tuple[str, ...]]:
    """财政（地税）局 -> (财政局, (地税局,)); 商务局(招商服务局) -> (商务局, (招商服务局,))."""
    match = _PAREN.match(text.strip())
    if not match:
        return text.strip(), ()
    before, inside, after = (part.strip() for part in match.groups())
    name, more = split_unit_name(before + after)
    return name, (inside + after, *more) if inside else more


def _groups(decls, diagnostics: Diagnostics) -> tuple[list[ir.Group], list[ir.Unit]]:
    groups, units = [], []
    seen: dict[str, tuple[str, S.Text]] = {}
    for decl in decls:
        members = []
        for member in decl.members:
            name, aliases = split_unit_name(member.value)
            # the name as printed stays a spelling too: 财政（地税）局
            printed = normalize(member.value)
            aliases = tuple(dict.fromkeys(normalize(a) for a in (*aliases, printed) if normalize(a) != normalize(name)))
            name = normalize(name)
            key = name
            if key in seen:
                first_group, first = seen[key]
                diagnostics.add("GR201", member.span, related=(first.span,), unit=name,
                                first=first_group, second=normalize(decl.name.value),
                                hint="一个单位只能属于一个单位组，请删去其中一处")
                continue
            group_name = normalize(decl.name.value)
            seen[key] = (group_name, member)
            members.append(name)
            units.append(ir.Unit(name, group_name, aliases, member.span))
        if decl.claimed_count is not None and decl.claimed_count != len(decl.members):
            diagnostics.add("GR202", decl.name.span, group=decl.name.value, claimed=decl.claimed_count,
                            listed=len(decl.members), hint="以名单为准；如文件原文如此，可保留此提示")
        attributes = tuple((normalize(t.value), v) for t, v in decl.attributes)
        groups.append(ir.Group(normalize(decl.name.value), tuple(members), decl.claimed_count, attributes, decl.span))
    return groups, units


def _percent(value: Fraction) -> str:
    number = value * 100
    text = str(int(number)) if number.denominator == 1 else f"{float(number):g}"
    return text + "%"


class _UnitLookup:
    """A unit by any of its spellings, with a did-you-mean for the rest."""

    def __init__(self, units: list[ir.Unit]) -> None:
        self.names: dict[str, str] = {}
        for unit in units:
            for spelling in (unit.name, *unit.aliases):
                self.names.setdefault(normalize(spelling), unit.name)

    def find(self, text: S.Text, diagnostics: Diagnostics, beside: tuple[S.Text, ...] = ()) -> str | None:
        """The unit a spelling names; GR101 if none. Units written `beside` it (on the same line)
        are not suggested: the drafter has already written them."""
        name, _ = split_unit_name(text.value)
        found = self.lookup(text.value)
        if found is None:
            taken = {self.lookup(t.value) for t in beside}
            candidates = [n for n, unit in self.names.items() if unit not in taken]
            diagnostics.add("GR101", text.span, text=text.value, kind="单位",
                            hint=did_you_mean(normalize(name), candidates) or "先在【单位组】里列出这个单位")
        return found

    def lookup(self, spelling: str) -> str | None:
        name, _ = split_unit_name(spelling)
        return self.names.get(normalize(spelling)) or self.names.get(normalize(name))


def _unit_values(decl: S.UnitValueDecl, lookup: _UnitLookup, diagnostics: Diagnostics) -> ir.UnitValues:
    values: dict[str, Fraction] = {}
    for members, value in decl.entries:
        for member in members:
            unit = lookup.find(member, diagnostics, beside=members)
            if unit is None:
                continue
            if unit in values:
                diagnostics.add("GR104", member.span, name=member.value,
                                hint=f"「{normalize(decl.name.value)}」里每个单位只能写一次")
                continue
            values[unit] = value
    return ir.UnitValues(normalize(decl.name.value), tuple(values.items()), decl.span)


def _bundle(decl: S.BundleDecl, lookup: _UnitLookup, diagnostics: Diagnostics) -> tuple[str, ...]:
    found = (lookup.find(m, diagnostics, beside=decl.members) for m in decl.members)
    return tuple(dict.fromkeys(u for u in found if u is not None))


def _rank_table(decl: S.RankTableDecl, groups: list[ir.Group], diagnostics: Diagnostics) -> ir.RankTable:
    by_name = {g.name: g for g in groups}
    name = normalize(decl.name.value)
    rows = []
    for row in decl.rows:
        group = by_name.get(normalize(row.group.value))
        if group is None:
            diagnostics.add("GR101", row.group.span, text=row.group.value, kind="单位组",
                            hint=did_you_mean(normalize(row.group.value), list(by_name)))
            continue
        size, listed = len(group.members), len(row.points)
        if row.rest is None and listed < size:
            diagnostics.add("GR204", row.span, table=name, group=group.name, listed=listed, size=size,
                            hint=f"补足到第{size}名，或加上「其余N分」")
        if row.rest_count is not None and listed + row.rest_count != size:
            diagnostics.add("GR205", row.span, table=name, group=group.name, listed=listed,
                            rest=row.rest_count, total=listed + row.rest_count, size=size,
                            hint="以名单为准；如文件原文如此，可保留此提示")
        rows.append(ir.RankTableRow(group.name, row.points, row.rest, row.span))
    covered = {r.group for r in rows}
    for group in groups:
        if group.name not in covered:
            diagnostics.add("GR206", decl.name.span, table=name, group=group.name,
                            hint=f"加一行「{group.name}：第1至N名依次…分，其余…分」")
    return ir.RankTable(name, tuple(rows), decl.span)


def _parameters(decls, diagnostics: Diagnostics) -> tuple[ir.ParameterDecl, ...]:
    found: dict[str, ir.ParameterDecl] = {}
    for decl in decls:
        name = normalize(decl.name.value)
        if name in found:
            diagnostics.add("GR104", decl.name.span, name=decl.name.value, related=(found[name].span,))
            continue
        found[name] = ir.ParameterDecl(name, decl.default, decl.span)
    return tuple(found.values())


def _sets(decls, vocab: Vocabulary, diagnostics: Diagnostics) -> tuple[tuple[str, ir.RowPattern], ...]:
    """Each named set is the rows every one of its phrases names; later sets may use earlier ones."""
    from .segment import contradiction, intersect

    sets = []
    for decl in decls:
        name = normalize(decl.name.value)
        if normalize(decl.name.value) in vocab.words:
            diagnostics.add("GR104", decl.name.span, name=decl.name.value,
                            hint="集合的名称不能与已声明的级别、刊物、形式、类别、标记、事项或单位组相同")
            continue
        pattern = ir.RowPattern()
        for phrase in decl.phrases:
            part = segment(phrase.value, phrase.span, vocab, diagnostics)
            if part is None:
                continue
            clash = contradiction(pattern, part)
            if clash:
                diagnostics.add("GR209", phrase.span, name=decl.name.value, kind=clash[0],
                                first="、".join(sorted(clash[1])), second="、".join(sorted(clash[2])),
                                hint="同一类条件要并列「任一」时，写在同一个短语里，用顿号分开")
                continue
            pattern = intersect(pattern, part)
        vocab.sets[name] = pattern
        vocab.add(name, SET, name)
        sets.append((name, pattern))
    return tuple(sets)


def _tree(decl: S.TreeDecl, diagnostics: Diagnostics) -> ir.Tree:
    """The tree, with a warning wherever children's weights do not add up to their parent's."""
    nodes = []
    for parent, children in decl.branches:
        total = sum((c.weight for c in children), Fraction(0))
        if children and total != parent.weight:
            diagnostics.add("GR207", parent.span, node=parent.name.value, weight=_points(parent.weight),
                            total=_points(total), parts="＋".join(_points(c.weight) for c in children),
                            related=tuple(c.span for c in children),
                            hint="核对各二级指标的分值；如文件原文如此，可保留此提示")
        nodes.append(ir.TreeNode(normalize(parent.name.value), parent.weight,
                                 tuple(ir.TreeNode(normalize(c.name.value), c.weight, (), c.span) for c in children),
                                 parent.span))
    total = sum((n.weight for n in nodes), Fraction(0))
    if total != decl.total:
        diagnostics.add("GR207", decl.name.span, node=decl.name.value, weight=_points(decl.total),
                        total=_points(total), parts="＋".join(_points(n.weight) for n in nodes),
                        related=tuple(n.span for n in nodes), hint="核对各一级指标的分值")
    return ir.Tree(normalize(decl.name.value), decl.total, tuple(nodes), decl.span)


def _points(value: Fraction) -> str:
    return (str(int(value)) if value.denominator == 1 else f"{float(value):g}") + "分"


def _check_subunits(header: S.Header, diagnostics: Diagnostics) -> None:
    """The only sub-unit rule the ledger can carry is 「计入上级」: 公安局/交警大队 counts for 公安局."""
    text = to_simplified(header.value.value)
    if re.search(r"不(计入|算|计)|不得计入|除外", text) or not re.search(r"计入|算作|算入|计为|视为", text):
        diagnostics.add("GR008", header.value.span, text=header.value.value,
                        hint="写成「二级机构报送的信息计入本单位」；不计入上级的下级单位请单独列为单位")
