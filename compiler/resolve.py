"""Pass 3, resolve: clause phrases and expression names -> the complete IR policy.

Phrases are split against the vocabulary (segment.py); expression names are looked up
among definitions, score blocks and group numbers (本组目标). Unknown names get a
did-you-mean. Also reports rules whose combination the policy leaves implicit.
"""
from __future__ import annotations

from . import ir
from . import syntax as S
from .build import Declarations
from .diagnostics import Diagnostics, did_you_mean
from .normalize import normalize
from .segment import segment

GROUP_PREFIXES = ("本组", "本組")
GROUP_SIZE = "单位数"

_ROW_MODES = (("最具体", "most_specific"), ("最具體", "most_specific"), ("累计", "sum"), ("累計", "sum"))
_ITEM_MODES = (("最高", "max"), ("只计一次", "once"), ("只記一次", "once"), ("只记一次", "once"),
               ("只計一次", "once"), ("只算一次", "once"), ("累计", "sum"), ("累計", "sum"))
_STACKING = (("相加", "add"), ("加法", "add"), ("相乘", "multiply"), ("乘法", "multiply"))


def resolve(policy: S.PolicySyntax, decls: Declarations, diagnostics: Diagnostics) -> ir.Policy:
    """Resolve every name of the policy; what cannot be resolved is reported and left out."""
    names = _Names(policy, decls, diagnostics)
    blocks = tuple(_block(b, names, decls, diagnostics) for b in policy.blocks)
    definitions = tuple(ir.Definition(normalize_name(d.name.value), names.expr(d.expr), d.output, d.span)
                        for d in policy.definitions)
    return ir.Policy(
        file=policy.file, title=decls.title, document_number=decls.document_number,
        period=decls.period, subunits_count_for_parent=decls.subunits_count_for_parent,
        level_aliases=decls.level_aliases, publications=decls.publications, forms=decls.forms,
        categories=decls.categories, tags=decls.tags, events=decls.events, groups=decls.groups,
        units=decls.units, blocks=blocks, definitions=definitions, weights=decls.weights)


def normalize_name(text: str) -> str:
    """Quantity names compare, and print, in simplified characters."""
    return normalize(text)


class _Names:
    def __init__(self, policy: S.PolicySyntax, decls: Declarations, diagnostics: Diagnostics) -> None:
        self.decls = decls
        self.diagnostics = diagnostics
        self.quantities: dict[str, S.Text] = {}
        self.blocks = {normalize(b.name.value) for b in policy.blocks}
        for block in policy.blocks:
            self._declare(block.name)
        for definition in policy.definitions:
            self._declare(definition.name)
        self.attributes = {name for g in decls.groups for name, _ in g.attributes} | {GROUP_SIZE}

    def _declare(self, name: S.Text) -> None:
        key = normalize(name.value)
        if key in self.quantities:
            self.diagnostics.add("GR104", name.span, related=(self.quantities[key].span,), name=name.value)
        else:
            self.quantities[key] = name

    def canonical(self, name: str) -> str | None:
        entry = self.quantities.get(normalize(name))
        return normalize(entry.value) if entry else None

    def expr(self, node: S.Expr) -> ir.Expr:
        span = node.span
        if isinstance(node, S.Num):
            return ir.Num(node.value, span)
        if isinstance(node, S.Ref):
            return self.ref(node)
        if isinstance(node, S.Count):
            pattern = segment(node.phrase.value, node.phrase.span, self.decls.vocabulary, self.diagnostics)
            return ir.Count(pattern or ir.RowPattern(), span)
        if isinstance(node, S.Items):
            block = self.canonical(node.block)
            if block not in self.blocks:
                block = None
                self.diagnostics.add("GR105", span, name=node.block,
                                     hint=did_you_mean(node.block, sorted(self.blocks))
                                     or "可统计的计分项：" + "、".join(sorted(self.blocks)))
            return ir.ItemCount(block or node.block, span)
        if isinstance(node, S.Periods):
            return ir.PeriodCount(node.grain, self.expr(node.condition), span)
        if isinstance(node, S.Rank):
            return ir.Rank(self.expr(node.key), node.within_group, node.descending, span)
        if isinstance(node, S.BinOp):
            return ir.BinOp(node.op, self.expr(node.left), self.expr(node.right), span)
        if isinstance(node, S.Compare):
            return ir.Compare(node.op, self.expr(node.left), self.expr(node.right), span)
        if isinstance(node, S.Not):
            return ir.Not(self.expr(node.operand), span)
        if isinstance(node, S.Negate):
            return ir.Negate(self.expr(node.operand), span)
        raise AssertionError(node)  # pragma: no cover

    def ref(self, node: S.Ref) -> ir.Expr:
        canonical = self.canonical(node.name)
        if canonical is not None:
            return ir.Quantity(canonical, node.span)
        for prefix in GROUP_PREFIXES:
            if node.name.startswith(prefix):
                attribute = normalize(node.name[len(prefix):])
                if attribute not in self.attributes:
                    self.diagnostics.add("GR103", node.span, name=attribute,
                                         hint=did_you_mean(attribute, sorted(self.attributes)))
                return ir.GroupAttribute(attribute, node.span)
        candidates = list(self.quantities) + [GROUP_PREFIXES[0] + a for a in sorted(self.attributes)]
        self.diagnostics.add("GR102", node.span, name=node.name, hint=did_you_mean(node.name, candidates))
        return ir.Quantity(node.name, node.span)


def _block(decl: S.BlockDecl, names: _Names, decls: Declarations, diagnostics: Diagnostics) -> ir.Block:
    vocab = decls.vocabulary
    clauses, multipliers, conditions = [], [], []
    modes = {"row": None, "item": None, "stacking": None}
    pending_multipliers = []
    for line in decl.lines:
        if isinstance(line, S.ClauseSyntax):
            pattern = segment(line.phrase.value, line.phrase.span, vocab, diagnostics)
            if pattern is None:
                continue
            if not pattern.events:
                diagnostics.add("GR106", line.phrase.span, text=line.phrase.value,
                                hint="写明是哪种事项，例如「报送」「被…采用」「批示」或已声明的事项")
                continue
            exceptions = []
            for qualifier in line.qualifiers:
                q = segment(qualifier.phrase.value, qualifier.phrase.span, vocab, diagnostics)
                if q is not None:
                    exceptions.append(_relative(q, pattern.events))
            clauses.append(ir.Clause(pattern, line.points.value, tuple(exceptions), line.phrase.value, line.span))
        elif isinstance(line, S.MultiplierSyntax):
            pattern = segment(line.phrase.value, line.phrase.span, vocab, diagnostics)
            if pattern is not None:
                pending_multipliers.append((pattern, line))
        elif isinstance(line, S.ConditionSyntax):
            conditions.append(ir.Condition(line.grain, names.expr(line.condition), line.points.value, line.span))
        else:
            table = {"row": _ROW_MODES, "item": _ITEM_MODES, "stacking": _STACKING}[line.scope]
            mode = next((m for word, m in table if word in line.text.value), None)
            if mode is None:
                choices = "、".join(dict.fromkeys(w for w, _ in table))
                diagnostics.add("GR304", line.text.span, text=line.text.value,
                                reason=f"应写明{choices}之一")
            modes[line.scope] = mode
    clause_events = frozenset().union(*(c.pattern.events for c in clauses)) if clauses else frozenset()
    for pattern, line in pending_multipliers:
        multipliers.append(ir.Multiplier(_relative(pattern, clause_events), line.factor,
                                         line.phrase.value, line.span))
    block = ir.Block(normalize_name(decl.name.value), tuple(clauses), modes["row"], modes["item"],
                     tuple(multipliers), modes["stacking"], tuple(conditions), decl.span)
    _check_combinations(block, decl, diagnostics)
    return block


def _relative(pattern: ir.RowPattern, row_events: frozenset[str]) -> ir.RowPattern:
    """A condition that names another event (被批示的) asks whether the item has such a row;
    one that names the row's own event, or none, is about the row itself."""
    if pattern.events and not (pattern.events & row_events):
        return ir.RowPattern(item_conditions=(ir.ItemCondition(True, pattern),))
    return pattern.without_events() if pattern.events else pattern


def _check_combinations(block: ir.Block, decl: S.BlockDecl, diagnostics: Diagnostics) -> None:
    if len(block.multipliers) > 1 and block.stacking is None:
        diagnostics.add("GR301", decl.name.span, block=block.name, count=len(block.multipliers),
                        hint="加一行「加倍叠加方式：相加」或「加倍叠加方式：相乘」",
                        related=tuple(m.span for m in block.multipliers))
    if block.row_mode is None:
        overlapping = [(a, b) for i, a in enumerate(block.clauses) for b in block.clauses[i + 1:]
                       if _may_overlap(a.pattern, b.pattern)]
        if overlapping:
            a, b = overlapping[0]
            diagnostics.add("GR302", b.span, block=block.name, related=(a.span,),
                            hint="加一行「同一行适用多条的，取最具体的一条」或「同一行适用多条的，累计」")
    if block.item_mode is None and sum(1 for c in block.clauses if "采用" in c.pattern.events) > 0:
        diagnostics.add("GR303", decl.name.span, block=block.name,
                        hint="加一行「同一信息被多个刊物采用的，累计计分」或「同一信息重复采用的，只计一次最高分」")


def _may_overlap(a: ir.RowPattern, b: ir.RowPattern) -> bool:
    def meets(x, y):
        return not x or not y or bool(x & y)
    return (meets(a.events, b.events) and meets(a.levels, b.levels)
            and meets(a.publications, b.publications) and meets(a.forms, b.forms)
            and meets(a.categories, b.categories) and meets(a.tags, b.tags)
            and meets(a.groups, b.groups))
