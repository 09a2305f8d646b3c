"""Pass 3, resolve: clause phrases and expression names -> the complete IR policy.

Phrases are split against the vocabulary (segment.py); expression names are looked up
among definitions, score blocks and group numbers (本组目标). Unknown names get a
did-you-mean. Also reports rules whose combination the policy leaves implicit.
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from . import ir
from . import syntax as S
from .build import Declarations
from .diagnostics import Diagnostics, did_you_mean
from .normalize import normalize
from .segment import segment

GROUP_PREFIXES = ("本组", "本組")
GROUP_SIZE = "单位数"
BUNDLE_SIZE = "捆绑单位数"
_GRAIN_NAMES = {"month": "月", "quarter": "季", "year": "全年"}
_GRAIN_ORDER = {"month": 0, "quarter": 1, "year": 2}
_RANK_WITHIN = {"本组", "组内"}
_RANK_ASCENDING = {"从低到高"}
_RANK_OPTIONS = _RANK_WITHIN | _RANK_ASCENDING | {"全部单位", "所有单位", "从高到低"}

_ROW_MODES = (("最具体", "most_specific"), ("最具體", "most_specific"), ("累计", "sum"), ("累計", "sum"))
_ITEM_MODES = (("最高", "max"), ("只计一次", "once"), ("只記一次", "once"), ("只记一次", "once"),
               ("只計一次", "once"), ("只算一次", "once"), ("累计", "sum"), ("累計", "sum"))
_STACKING = (("相加", "add"), ("加法", "add"), ("相乘", "multiply"), ("乘法", "multiply"))


def resolve(policy: S.PolicySyntax, decls: Declarations, diagnostics: Diagnostics) -> ir.Policy:
    """Resolve every name of the policy; what cannot be resolved is reported and left out."""
    names = _Names(policy, decls, diagnostics)
    blocks = tuple(_block(b, names, decls, diagnostics) for b in policy.blocks)
    definitions = _tree_definitions(decls.trees, names, diagnostics) + tuple(
        ir.Definition(normalize_name(d.name.value), names.expr(d.expr), d.output, d.span, d.grain)
        for d in policy.definitions)
    definitions = _export(definitions, policy.exports, names, diagnostics)
    listed = [(d.span.line, normalize_name(d.name.value)) for d in policy.definitions if d.output]
    listed += [(t.span.line, names.canonical(t.value)) for e in policy.exports for t in e.names]
    output_order = tuple(dict.fromkeys(n for _, n in sorted(listed, key=lambda x: x[0]) if n))
    _check_grains(definitions, blocks, diagnostics)
    for parameter in decls.parameters:
        if parameter.name not in names.used_parameters:
            diagnostics.add("GR208", parameter.span, name=parameter.name, hint="删去它，或在条款、中间量里用到它")
    return ir.Policy(
        file=policy.file, title=decls.title, document_number=decls.document_number,
        period=decls.period, subunits_count_for_parent=decls.subunits_count_for_parent,
        level_aliases=decls.level_aliases, publications=decls.publications, forms=decls.forms,
        categories=decls.categories, tags=decls.tags, events=decls.events, groups=decls.groups,
        units=decls.units, blocks=blocks, definitions=definitions, weights=decls.weights,
        unit_values=decls.unit_values, bundles=decls.bundles, rank_tables=decls.rank_tables,
        parameters=decls.parameters, sets=decls.sets, trees=decls.trees, output_order=output_order)


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
        for tree in policy.trees:
            self._declare(tree.name)
            for parent, _ in tree.branches:
                self._declare(parent.name)
        for definition in policy.definitions:
            self._declare(definition.name)
        self.attributes = {name for g in decls.groups for name, _ in g.attributes} | {GROUP_SIZE}
        self.unit_values = {t.name for t in decls.unit_values}
        self.rank_tables = {t.name for t in decls.rank_tables}
        self.groups = {g.name for g in decls.groups}
        self.grains = {normalize(d.name.value): d.grain for d in policy.definitions}
        self.parameters = {p.name for p in decls.parameters}
        for parameter in decls.parameters:
            if parameter.name in self.quantities:
                diagnostics.add("GR104", parameter.span, name=parameter.name,
                                related=(self.quantities[parameter.name].span,),
                                hint="参数与计分项、中间量或结果不能同名")
        self.used_parameters: set[str] = set()

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
        if isinstance(node, S.Null):
            return ir.Null(span)
        if isinstance(node, S.IfElse):
            return ir.IfElse(self.expr(node.condition), self.expr(node.then), self.expr(node.otherwise), span)
        if isinstance(node, S.Call):
            return self.call(node)
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
            return ir.PeriodCount(node.grain, self.expr(node.condition), span, node.every)
        if isinstance(node, S.BinOp):
            return ir.BinOp(node.op, self.expr(node.left), self.expr(node.right), span)
        if isinstance(node, S.Compare):
            return ir.Compare(node.op, self.expr(node.left), self.expr(node.right), span)
        if isinstance(node, S.Not):
            return ir.Not(self.expr(node.operand), span)
        if isinstance(node, S.Negate):
            return ir.Negate(self.expr(node.operand), span)
        raise AssertionError(node)  # pragma: no cover

    def call(self, node: S.Call) -> ir.Expr:
        function, span = node.function, node.span
        words = {normalize(o.value.value) for o in node.options if o.key is None}
        keyed = {o.key: o for o in node.options if o.key is not None}
        arity = {"rank": 1, "select": 1, "rank_points": 2, "total": 1, "bundle_total": 1, "max": 2, "min": 2,
                 "ceil": 1, "floor": 1, "every_month": 1, "every_quarter": 1}
        if function in arity and len(node.args) != arity[function]:
            self._bad_call(node, f"要{arity[function]}个参数，这里写了{len(node.args)}个")
            return ir.Null(span)
        if function not in ("rank", "select") and node.options:
            self._bad_call(node, "不接受选项（本组、名额、资格…）")
            return ir.Null(span)
        if function in ("rank", "select"):
            ties = "stop"
            for word in words - _RANK_OPTIONS:
                if not word.startswith("并列") or function == "rank":
                    self._bad_call(node, f"不认识选项「{word}」")
                elif any(w in word for w in ("都入选", "全部入选", "均入选", "都选", "一并入选")):
                    ties = "all"
                elif not any(w in word for w in ("不选", "不入选", "不取", "停止")):
                    where = next((o.span for o in node.options if o.key is None and normalize(o.value.value) == word), span)
                    self.diagnostics.add("GR306", where, text=word,
                                         reason="应写「并列超出名额的都不选」或「并列的都入选」",
                                         hint="名额边上有并列时，要么都不选（名额可能用不完），要么都入选（可能超出名额），选一种照写")
            within, descending = bool(words & _RANK_WITHIN), not (words & _RANK_ASCENDING)
            key = self.expr(node.args[0])
            if function == "rank":
                unknown = set(keyed) - {"pinned"}
                if unknown:
                    self._bad_call(node, "只接受「置顶：条件」这一个带名字的选项")
                pinned = self.expr(keyed["pinned"].value) if "pinned" in keyed else None
                return ir.Rank(key, within, descending, span, pinned)
            if "quota" not in keyed:
                self._bad_call(node, "要写「名额：…」")
                return ir.Null(span)
            if not any(w.startswith("并列") for w in words):
                self.diagnostics.add("GR305", span, hint="加上选项「并列超出名额的都不选」或「并列的都入选」")
            eligible = self.expr(keyed["eligible"].value) if "eligible" in keyed else None
            return ir.Select(key, within, descending, self.expr(keyed["quota"].value), eligible, ties, span)
        if function == "rank_points":
            table = node.args[0]
            name = normalize(table.name) if isinstance(table, S.Ref) else None
            if name not in self.rank_tables:
                self._bad_call(node, "第一个参数应是【名次分：…】里声明的表名",
                               did_you_mean(name or "", sorted(self.rank_tables)))
                return ir.Null(span)
            return ir.RankPoints(name, self.expr(node.args[1]), span)
        if function == "total":
            target = node.args[0]
            name = self.canonical(target.name) if isinstance(target, S.Ref) else None
            grain = self.grains.get(name) if name else None
            if grain not in ("month", "quarter"):
                self._bad_call(node, "只能汇总按季或按月计算的量，例如「合计（季度考核分）」")
                return ir.Null(span)
            return ir.PeriodTotal(name, grain, span)
        if function == "bundle_total":
            return ir.BundleTotal(self.expr(node.args[0]), span)
        if function in ("max", "min", "ceil", "floor"):
            return ir.Function(function, tuple(self.expr(a) for a in node.args), span)
        if function in ("every_month", "every_quarter"):
            return ir.PeriodCount(function.split("_")[1], self.expr(node.args[0]), span, every=True)
        if function == "in_group":
            names = set()
            for arg in node.args:
                name = normalize(arg.name) if isinstance(arg, S.Ref) else None
                if name not in self.groups:
                    self.diagnostics.add("GR101", arg.span, text=getattr(arg, "name", "?"), kind="单位组",
                                         hint=did_you_mean(name or "", sorted(self.groups)))
                else:
                    names.add(name)
            return ir.InGroup(frozenset(names), span)
        raise AssertionError(function)  # pragma: no cover

    def _bad_call(self, node: S.Call, reason: str, hint: str | None = None) -> None:
        usage = f"写法如「{_USAGE[node.function]}」" if node.function in _USAGE else None
        hint = f"{hint}；{usage}" if hint and usage else hint or usage
        self.diagnostics.add("GR108", node.span, function=_FUNCTION_NAMES[node.function], reason=reason, hint=hint)

    def ref(self, node: S.Ref) -> ir.Expr:
        canonical = self.canonical(node.name)
        if canonical is not None:
            return ir.Quantity(canonical, node.span)
        name = normalize(node.name)
        if name in self.parameters:
            self.used_parameters.add(name)
            return ir.Parameter(name, node.span)
        if name in self.unit_values:
            return ir.UnitValue(name, node.span)
        if name == BUNDLE_SIZE:
            return ir.BundleSize(node.span)
        for prefix in GROUP_PREFIXES:
            if node.name.startswith(prefix):
                attribute = normalize(node.name[len(prefix):])
                if attribute not in self.attributes:
                    self.diagnostics.add("GR103", node.span, name=attribute,
                                         hint=did_you_mean(attribute, sorted(self.attributes)))
                return ir.GroupAttribute(attribute, node.span)
        candidates = (list(self.quantities) + sorted(self.unit_values) + sorted(self.parameters)
                      + [GROUP_PREFIXES[0] + a for a in sorted(self.attributes)])
        self.diagnostics.add("GR102", node.span, name=node.name, hint=did_you_mean(node.name, candidates))
        return ir.Quantity(node.name, node.span)


def _block(decl: S.BlockDecl, names: _Names, decls: Declarations, diagnostics: Diagnostics) -> ir.Block:
    vocab = decls.vocabulary
    clauses, multipliers, conditions = [], [], []
    modes = {"row": None, "item": None, "stacking": None}
    unreadable = set()     # scopes whose line GR304 already reports: no second "not declared" for them
    pending_multipliers = []
    excluded = []          # 应急信息不计分: a whole-block exception, written as its own line
    block_cap = None
    for line in decl.lines:
        if isinstance(line, S.ClauseSyntax):
            pattern = segment(line.phrase.value, line.phrase.span, vocab, diagnostics)
            if pattern is None:
                continue
            if not pattern.events:
                if line.points.kind == "fixed" and line.points.value == 0 and not line.qualifiers:
                    excluded.append(pattern)
                    continue
                diagnostics.add("GR106", line.phrase.span, text=line.phrase.value,
                                hint="写明是哪种事项，例如「报送」「被…采用」「批示」或已声明的事项；"
                                     "只写条件加「不计分」表示本计分项里这些信息一律不计分")
                continue
            check_pattern_against_publications(pattern, line.phrase.span, decls.publications, diagnostics)
            exceptions = []
            for qualifier in line.qualifiers:
                q = segment(qualifier.phrase.value, qualifier.phrase.span, vocab, diagnostics)
                if q is not None:
                    exceptions.append(_relative(q, pattern.events))
            points = line.points
            share = names.ref(S.Ref(points.share_of.value, points.share_of.span)) if points.kind == "share" else None
            clauses.append(ir.Clause(
                pattern, points.value, tuple(exceptions), line.phrase.value, line.span,
                later_points=line.later.points.value if line.later else None,
                row_cap=line.cap.value if line.cap else None,
                reviewed=points.kind == "reviewed", share_of=share,
                total_cap=_cap(line.total_cap, "clause", line.phrase.value)))
        elif isinstance(line, S.MultiplierSyntax):
            pattern = segment(line.phrase.value, line.phrase.span, vocab, diagnostics)
            if pattern is not None:
                pending_multipliers.append((pattern, line))
        elif isinstance(line, S.ConditionSyntax):
            condition = names.expr(line.condition)
            if line.per_gap:
                short = line.per_gap == "short"
                ops = ("<", "<=") if short else (">", ">=")
                if not (isinstance(condition, ir.Compare) and condition.op in ops):
                    diagnostics.add("GR108", line.span, function="每少一条" if short else "每多一条",
                                    reason=_GAP_REASONS[short], hint="分值按比较两边之差计算")
            conditions.append(ir.Condition(line.grain, condition, line.points.value, line.span, bool(line.per_gap),
                                           _cap(line.total_cap, "clause", "")))
        elif isinstance(line, S.Cap):
            block_cap = _cap(line, "block", decl.name.value)
        else:
            table = {"row": _ROW_MODES, "item": _ITEM_MODES, "stacking": _STACKING}[line.scope]
            mode = next((m for word, m in table if word in line.text.value), None)
            if mode is None:
                choices = "、".join(dict.fromkeys(normalize(w) for w, _ in table))
                diagnostics.add("GR304", line.text.span, text=line.text.value,
                                reason=f"应写明{choices}之一",
                                hint=f"例如「{_COMBINE_EXAMPLES[line.scope]}」")
                unreadable.add(line.scope)
            modes[line.scope] = mode
    clause_events = frozenset().union(*(c.pattern.events for c in clauses)) if clauses else frozenset()
    if excluded:
        clauses = [replace(c, exceptions=c.exceptions + tuple(_relative(p, c.pattern.events) for p in excluded))
                   for c in clauses]
    for pattern, line in pending_multipliers:
        multipliers.append(ir.Multiplier(_relative(pattern, clause_events), line.factor,
                                         line.phrase.value, line.span))
    block = ir.Block(normalize_name(decl.name.value), tuple(clauses), modes["row"], modes["item"],
                     tuple(multipliers), modes["stacking"], tuple(conditions), decl.span, block_cap)
    _check_combinations(block, decl, diagnostics, unreadable)
    return block


def _cap(cap: S.Cap | None, scope: str, text: str) -> ir.Cap | None:
    return ir.Cap(cap.value, scope, cap.direction, text, cap.span) if cap is not None else None


def _relative(pattern: ir.RowPattern, row_events: frozenset[str]) -> ir.RowPattern:
    """A condition that names another event (被批示的) asks whether the item has such a row;
    one that names the row's own event, or none, is about the row itself."""
    if pattern.events and not (pattern.events & row_events):
        return ir.RowPattern(item_conditions=(ir.ItemCondition(True, pattern),))
    return pattern.without_events() if pattern.events else pattern


def check_pattern_against_publications(pattern: ir.RowPattern, span, publications, diagnostics: Diagnostics) -> None:
    """A clause that can never match: a level its publications do not have, or a 刊物 on 报送/批示."""
    if not pattern.publications:
        return
    if pattern.events and "采用" not in pattern.events:
        event = "、".join(sorted(pattern.events))
        diagnostics.add("GR308", span, event=event, publication="、".join(sorted(pattern.publications)),
                        hint="刊物只写在「被…采用」的条款里")
        return
    if pattern.levels:
        by_name = {p.name: p for p in publications}
        for name in sorted(pattern.publications):
            publication = by_name.get(name)
            if publication is not None and not (publication.levels & pattern.levels):
                diagnostics.add("GR307", span, publication=name,
                                levels="、".join(l + "级" for l in ir.LEVELS if l in publication.levels),
                                written="、".join(l + "级" for l in ir.LEVELS if l in pattern.levels),
                                hint="核对级别，或在【刊物】里为它加上这一级")


_COMBINE_EXAMPLES = {"row": "同一行适用多条的，取最具体的一条", "item": "同一信息重复采用的，只计一次最高分",
                     "stacking": "加倍叠加方式：相加"}


def _check_combinations(block: ir.Block, decl: S.BlockDecl, diagnostics: Diagnostics, unreadable=frozenset()) -> None:
    """Combinations left implicit; a scope whose line could not be read (GR304) is not reported again."""
    if len(block.multipliers) > 1 and block.stacking is None and "stacking" not in unreadable:
        diagnostics.add("GR301", decl.name.span, block=block.name, count=len(block.multipliers),
                        hint="加一行「加倍叠加方式：相加」或「加倍叠加方式：相乘」",
                        related=tuple(m.span for m in block.multipliers))
    if block.row_mode is None and "row" not in unreadable:
        # a clause written twice is GR309's (lint): the pair is not reported again here
        overlapping = [(a, b) for i, a in enumerate(block.clauses) for b in block.clauses[i + 1:]
                       if _may_overlap(a.pattern, b.pattern)
                       and (a.pattern != b.pattern or a.exceptions != b.exceptions)]
        if overlapping:
            a, b = overlapping[0]
            diagnostics.add("GR302", b.span, block=block.name, related=(a.span,),
                            hint="加一行「同一行适用多条的，取最具体的一条」或「同一行适用多条的，累计」")
    if block.item_mode is None and "item" not in unreadable and any("采用" in c.pattern.events for c in block.clauses):
        diagnostics.add("GR303", decl.name.span, block=block.name,
                        hint="加一行「同一信息被多个刊物采用的，累计计分」或「同一信息重复采用的，只计一次最高分」")


def _may_overlap(a: ir.RowPattern, b: ir.RowPattern) -> bool:
    def meets(x, y):
        return not x or not y or bool(x & y)
    return (meets(a.events, b.events) and meets(a.levels, b.levels)
            and meets(a.publications, b.publications) and meets(a.forms, b.forms)
            and meets(a.categories, b.categories) and meets(a.tags, b.tags)
            and meets(a.groups, b.groups))


def _tree_definitions(trees, names: _Names, diagnostics: Diagnostics) -> tuple[ir.Definition, ...]:
    """An indicator tree as definitions: each first-level node is its weight plus its items'
    values, kept within 0…weight; the tree is the sum of the first-level nodes."""
    definitions = []
    for tree in trees:
        for node in tree.nodes:
            total: ir.Expr = ir.Num(node.weight, node.span)
            for child in node.children:
                canonical = names.canonical(child.name)
                if canonical is None:
                    diagnostics.add("GR102", child.span, name=child.name,
                                    hint=f"为「{child.name}」写一个计分项【计分：{child.name}】（没有扣分规则也可以是空的），或一个同名的中间量")
                    continue
                total = ir.BinOp("+", total, ir.Quantity(canonical, child.span))   # written nowhere: no span
            clamp = ir.Function("clamp", (total, ir.Num(Fraction(0)), ir.Num(node.weight)), node.span)
            definitions.append(ir.Definition(node.name, clamp, False, node.span))
        parts = [ir.Quantity(node.name, node.span) for node in tree.nodes]
        whole: ir.Expr = parts[0] if parts else ir.Num(Fraction(0))
        for part in parts[1:]:
            whole = ir.BinOp("+", whole, part)
        definitions.append(ir.Definition(tree.name, whole, False, tree.span))
    return tuple(definitions)


def _export(definitions, exports, names: _Names, diagnostics: Diagnostics) -> tuple[ir.Definition, ...]:
    """组织领导、信息报送 in 【结果】: those quantities become outputs under their own names."""
    wanted = {}
    for export in exports:
        for text in export.names:
            canonical = names.canonical(text.value)
            if canonical is None or canonical in names.blocks:
                hint = (did_you_mean(normalize(text.value), list(names.quantities)) if canonical is None
                        else f"写「{text.value}得分：{text.value}」")
                diagnostics.add("GR102" if canonical is None else "GR109", text.span, name=text.value, hint=hint)
                continue
            wanted[canonical] = text.span
    return tuple(replace(d, output=True) if d.name in wanted else d for d in definitions)


_GAP_REASONS = {True: "的条件要是「小于」的比较，例如「若 合格专报数 < 专报要求，每少一条扣2分」",
                False: "的条件要是「大于」的比较，例如「若 合格专报数 > 专报要求，每多报一条加2分」"}

# How each function is called, for the hint of GR108.
_USAGE = {"rank": "排名（积分，本组，从高到低）", "select": "评选（积分，名额：3，并列超出名额的都不选）",
          "rank_points": "名次分（季度名次分，排名）", "total": "合计（季度考核分）", "bundle_total": "捆绑合计（积分）",
          "max": "最大（甲，乙）", "min": "最小（甲，乙）", "ceil": "向上取整（甲）", "floor": "向下取整（甲）",
          "in_group": "属于（一类，二类）", "every_month": "每月都（条数（报送）≥ 1）",
          "every_quarter": "每季都（条数（报送）≥ 1）"}

_FUNCTION_NAMES = {"rank": "排名", "select": "评选", "rank_points": "名次分", "total": "合计",
                   "bundle_total": "捆绑合计", "max": "最大", "min": "最小", "ceil": "向上取整",
                   "floor": "向下取整", "in_group": "属于", "every_month": "每月都", "every_quarter": "每季都"}


def _check_grains(definitions, blocks, diagnostics: Diagnostics) -> None:
    """A per-quarter (per-month) quantity used in a longer span must be summed with 合计（…）,
    also when it is reached through intermediates that have no period of their own."""
    by_name = {d.name: d for d in definitions}
    for definition in definitions:
        if definition.grain is None and not definition.output:
            continue                   # an intermediate without a grain takes its caller's span
        _walk_grains(definition.expr, _GRAIN_ORDER[definition.grain or "year"], by_name, diagnostics, set())
    for block in blocks:
        for condition in block.conditions:
            _walk_grains(condition.expr, _GRAIN_ORDER[condition.grain], by_name, diagnostics, set())


def _walk_grains(expr, context: int, definitions, diagnostics, visiting: set) -> None:
    if isinstance(expr, ir.Quantity):
        definition = definitions.get(expr.name)
        grain = definition.grain if definition else None
        if grain in ("month", "quarter") and _GRAIN_ORDER[grain] < context:
            diagnostics.add("GR107", expr.span, name=expr.name, grain=_GRAIN_NAMES[grain],
                            context={1: "按季", 2: "全年"}[context],
                            hint=f"写「合计（{expr.name}）」把各{_GRAIN_NAMES[grain]}相加")
        elif definition is not None and grain is None and expr.name not in visiting:
            visiting.add(expr.name)    # an intermediate runs in its caller's span: look inside
            _walk_grains(definition.expr, context, definitions, diagnostics, visiting)
            visiting.discard(expr.name)
        return
    if isinstance(expr, ir.PeriodCount):
        _walk_grains(expr.condition, min(context, _GRAIN_ORDER[expr.grain]), definitions, diagnostics, visiting)
        return
    for child in ir.children(expr):
        _walk_grains(child, context, definitions, diagnostics, visiting)
