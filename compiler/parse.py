"""Pass 1, parse: policy text -> syntax tree.

The only module that imports Lark. Lark's errors become govrule diagnostics here, in Chinese,
with a line and a column; they never leak out.
"""
from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from importlib import resources

from . import syntax as S
from .diagnostics import Diagnostics
from .mistakes import recognise
from .numerals import numeral_problem, parse_number
from .span import Span

# What each terminal is called when a drafter is told what was expected.
TERMINAL_NAMES = {
    "_FEN": "「分」", "_COLON": "冒号「：」", "_COMMA": "逗号「，」", "_ENUM": "顿号「、」",
    "_LPAR": "左括号「（」", "_RPAR": "右括号「）」", "_LB": "「【」", "_RB": "「】」",
    "_NL": "换行", "NUMBER": "分值（数字）", "DIGITS": "数字", "PERCENT": "百分数",
    "PHRASE": "条款内容", "ARG_PHRASE": "要统计的事项", "NAME": "名称", "MEMBER": "单位名称",
    "PUB_NAME": "刊物名称", "DEF_NAME": "结果名称", "REF": "名称", "LEVEL": "级别（国家/省/市/县）",
    "VERB": "「计」「加」或「扣」", "PER": "「每条」", "MULT": "加倍（如「加一倍」）",
    "ZERO_SCORE": "「不计分」", "EXCEPT": "「除外」", "TEXT": "内容", "DATE": "日期",
    "YEAR": "年份", "ATTR": "单位组数值（如「目标50分」）", "CMP_OP": "比较符号",
    "OPTION": "选项（如「本组」「从高到低」）", "IF": "「若」", "THEN": "「则」", "ELSE": "「否则」",
    "FUNC": "函数", "OPT_KEY": "选项名（名额、资格、置顶）", "GRAIN": "计算周期（按季、按月、全年）",
    "RANK_ENTRY": "名次分（如「第1至10名依次15至6分」）", "MAX_KW": "「最高」", "LATER_KW": "「第二次起」",
    "BY_POINTS": "「按分值计分」", "SHARE_OF": "「基础分的」", "NULL_KW": "「空」",
}

_SIGNS = {"扣": -1, "扣除": -1, "扣减": -1, "扣減": -1, "减": -1, "減": -1}
_GRAINS = {"每月": "month", "每季度": "quarter", "每季": "quarter", "全年": "year", "每年": "year",
           "按月": "month", "按季度": "quarter", "按季": "quarter", "按年": "year", "全年度": "year"}
# Built-in functions, by every spelling.
FUNCTIONS = {"排名": "rank", "评选": "select", "評選": "select", "名次分": "rank_points",
             "捆绑合计": "bundle_total", "捆綁合計": "bundle_total", "合计": "total", "合計": "total",
             "最大": "max", "较大": "max", "較大": "max", "最小": "min", "较小": "min", "較小": "min",
             "向上取整": "ceil", "向下取整": "floor", "属于": "in_group", "屬於": "in_group",
             "每月都": "every_month", "每季都": "every_quarter", "每季度都": "every_quarter"}
_OPTION_KEYS = {"名额": "quota", "名額": "quota", "资格": "eligible", "資格": "eligible",
                "置顶": "pinned", "置頂": "pinned"}
_CMP = {"≥": ">=", ">=": ">=", "≤": "<=", "<=": "<=", ">": ">", "＞": ">", "<": "<", "＜": "<",
        "=": "==", "＝": "==", "==": "==", "≠": "!=", "!=": "!="}
_OPS = {"+": "+", "＋": "+", "-": "-", "－": "-", "−": "-", "×": "*", "*": "*", "÷": "/", "/": "/"}


@lru_cache(maxsize=1)
def _parser():
    from lark import Lark

    text = resources.files("govrule.grammar").joinpath("govrule.lark").read_text(encoding="utf-8")
    return Lark(text, parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=False, cache=True)


def failure(text: str):
    """The parser's failure on text, or None when it parses: the named-mistake table compares these."""
    from lark.exceptions import UnexpectedInput

    try:
        _parser().parse(text)
    except UnexpectedInput as error:
        return error
    return None


def parse(source: str, file: str, diagnostics: Diagnostics) -> S.PolicySyntax | None:
    """Parse policy text into a syntax tree; on a syntax error, report it and return None."""
    from lark.exceptions import LarkError, UnexpectedInput

    text = source.replace("\r\n", "\n")
    if not text.endswith("\n"):
        text += "\n"
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as error:
        _report(error, text, file, diagnostics)
        return None
    except LarkError as error:  # pragma: no cover - defensive: never show a traceback
        diagnostics.add("GR001", Span(file, 1, 1, 1, 2), text="", reason=str(error).splitlines()[0])
        return None
    try:
        return _Builder(file, diagnostics).build(tree)
    except _BuildError:
        return None


# ---------------------------------------------------------------- errors

def _report(error, text: str, file: str, diagnostics: Diagnostics) -> None:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    lines = text.split("\n")
    found = recognise(error, lines, file)
    if found is not None:
        fields = {"text": found.text} if found.mistake.code == "GR001" else {}
        diagnostics.add(found.mistake.code, found.span, hint=found.hint, reason=found.reason, **fields)
        return
    line = max(getattr(error, "line", 1) or 1, 1)
    column = max(getattr(error, "column", 1) or 1, 1)
    if isinstance(error, UnexpectedEOF):
        line = len(lines) - 1
        column = len(lines[line - 1]) + 1 if line >= 1 else 1
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    expected = set(getattr(error, "expected", None) or getattr(error, "allowed", None) or ())
    wanted = _describe_expected(expected)
    if isinstance(error, UnexpectedToken) and error.token.type == "$END":
        diagnostics.add("GR002", Span(file, line, column, line, column + 1),
                        hint=f"这里应当是{wanted}" if wanted else None, reason="文件意外结束")
        return
    if isinstance(error, UnexpectedToken) and error.token.type == "_NL":
        span = Span(file, line, column, line, column + 1)
        diagnostics.add("GR002", span, hint=_hint_for(source_line, expected),
                        reason=f"行末缺少{wanted}" if wanted else "行末缺少内容")
        return
    bad = source_line[column - 1:column] if isinstance(error, UnexpectedCharacters) else \
        str(getattr(error, "token", "")) or source_line[column - 1:column]
    bad = bad.strip() or source_line[column - 1:column]
    span = Span(file, line, column, line, column + max(len(bad), 1))
    reason = f"这里应当是{wanted}" if wanted else "这里不应出现这些字"
    diagnostics.add("GR001", span, hint=_hint_for(source_line, expected), text=bad, reason=reason)


def _describe_expected(expected) -> str:
    names = [TERMINAL_NAMES[t] for t in sorted(expected) if t in TERMINAL_NAMES]
    names = list(dict.fromkeys(names))
    if not names:
        return ""
    return "、".join(names[:4]) + ("等" if len(names) > 4 else "")


def _hint_for(source_line: str, expected) -> str | None:
    """A suggestion for the mistakes drafters make most."""
    if "_FEN" in expected:
        return "分值后面要写「分」，例如「每条计20分」"
    if source_line.count("《") > source_line.count("》"):
        return "「《」没有对应的「》」"
    if expected & {"PER", "VERB", "NUMBER", "MULT"}:
        return "条款要以分值结尾，例如「每条计20分」「扣10分」或「分值加一倍」"
    if "_COLON" in expected:
        return "名称后面要有冒号「：」"
    return None


# ---------------------------------------------------------------- tree -> syntax

class _BuildError(Exception):
    pass


class _Builder:
    def __init__(self, file: str, diagnostics: Diagnostics) -> None:
        self.file = file
        self.diagnostics = diagnostics

    def span(self, node) -> Span:
        meta = getattr(node, "meta", node)
        if getattr(meta, "empty", False):
            return Span(self.file, 1, 1, 1, 1)
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def text(self, token, value: str | None = None) -> S.Text:
        raw = str(token)
        value = raw.strip() if value is None else value
        lead = len(raw) - len(raw.lstrip())
        span = self.span(token)
        if lead:
            span = Span(span.file, span.line, span.column + lead, span.end_line, span.end_column)
        return S.Text(value, span)

    def number(self, token, text: str | None = None, span: Span | None = None) -> Fraction:
        """The value of a numeral token (or of `text` inside it, at `span`); GR004 if it is malformed."""
        text = str(token) if text is None else text
        span = span or self.span(token)
        problem = numeral_problem(text)
        if problem is None:
            try:
                return parse_number(text)
            except (ValueError, ZeroDivisionError):
                problem = "无法识别"
        hint = None
        if problem != "无法识别":       # a giant number needs no advice
            hint = "请写成规范的中文数字（如「十二」「一百零五」「一百五十」），或者写阿拉伯数字"
            literal = _literal(text)
            if literal is not None:
                hint = f"按字面会读成{literal}，不一定是原意；" + hint
        self.diagnostics.add("GR004", span, text=text.strip(), reason=problem, hint=hint)
        raise _BuildError

    def whole(self, token, what: str) -> int:
        """A count that must be a whole number: 共22个单位."""
        value = self.number(token)
        if value.denominator != 1:
            self.diagnostics.add("GR004", self.span(token), text=str(token).strip(), reason=f"不是整数，{what}要写整数",
                                 hint=f"写成整数，例如「{max(int(value), 1)}」")
            raise _BuildError
        return int(value)

    # ------------------------------------------------------------ document

    def build(self, tree) -> S.PolicySyntax:
        parts: dict[str, list] = {k: [] for k in (
            "headers", "period", "levels", "publications", "vocab", "events", "groups",
            "blocks", "definitions", "weights", "unit_values", "bundles", "rank_tables",
            "parameters", "sets", "trees", "exports")}
        preamble, *sections = tree.children
        for node in preamble.children:
            if node.data == "period":
                parts["period"].append(self.period(node))
            elif node.data == "subunits":
                parts["headers"].append(S.Header("subunits", self.text(node.children[0]), self.span(node)))
            else:
                parts["headers"].append(S.Header(node.data, self.text(node.children[1]), self.span(node)))
        for section in sections:
            getattr(self, section.data)(section, parts)
        return S.PolicySyntax(
            file=self.file, headers=tuple(parts["headers"]),
            period=parts["period"][0] if parts["period"] else None,
            levels=tuple(parts["levels"]), publications=tuple(parts["publications"]),
            vocab=tuple(parts["vocab"]), events=tuple(parts["events"]), groups=tuple(parts["groups"]),
            blocks=tuple(parts["blocks"]), definitions=tuple(parts["definitions"]),
            weights=tuple(parts["weights"]), unit_values=tuple(parts["unit_values"]),
            bundles=tuple(parts["bundles"]), rank_tables=tuple(parts["rank_tables"]),
            parameters=tuple(parts["parameters"]), sets=tuple(parts["sets"]), trees=tuple(parts["trees"]),
            exports=tuple(parts["exports"]))

    def period(self, node) -> S.PeriodDecl:
        spec = node.children[1]
        span = self.span(node)
        if spec.data == "date_range":
            start, end = (self.date(t) for t in spec.children)
            if start > end:
                self.diagnostics.add("GR210", span, start=start, end=end,
                                     hint=f"是否写反了？应为「{end} 至 {start}」")
                raise _BuildError
            return S.PeriodDecl(start, end, int(start[:4]), True, span)
        year_token = spec.children[-1]
        year = int(re.match(r"\d{4}", str(year_token)).group())
        if not 1900 <= year <= 2999:
            self.diagnostics.add("GR005", self.span(year_token), text=str(year_token))
            raise _BuildError
        return S.PeriodDecl(None, None, year, spec.data == "year_spec", span)

    def date(self, token) -> str:
        from datetime import date

        y, m, d = (int(x) for x in re.findall(r"\d+", str(token)))
        try:
            if not 1900 <= y <= 2999:
                raise ValueError(y)
            return date(y, m, d).isoformat()
        except ValueError:
            self.diagnostics.add("GR005", self.span(token), text=str(token))
            raise _BuildError

    # ------------------------------------------------------------ declarations

    def names(self, node) -> tuple[S.Text, ...]:
        return tuple(self.text(t) for t in node.children)

    def level_section(self, node, parts) -> None:
        for line in node.children[1:]:
            level, names = line.children
            parts["levels"].append(S.LevelDecl(_simplify_level(str(level)), self.names(names), self.span(line)))

    def publication_section(self, node, parts) -> None:
        for line in node.children[1:]:
            name, *rest = line.children
            aliases = ()
            if len(rest) == 2:
                aliases = self.names(rest[0].children[-1])
            levels = tuple(self.text(t, _simplify_level(str(t))) for t in rest[-1].children)
            parts["publications"].append(
                S.PublicationDecl(self.text(name, str(name).strip("《》 ")), aliases, levels, self.span(line)))

    def vocab_section(self, node, parts) -> None:
        kind = {"形式": "form", "类别": "category", "類別": "category",
                "标记": "tag", "標記": "tag"}[str(node.children[0])]
        names = tuple(t for lst in node.children[1:] for t in self.names(lst))
        parts["vocab"].append(S.VocabDecl(kind, names, self.span(node)))

    def event_section(self, node, parts) -> None:
        for lst in node.children[1:]:
            for decl in lst.children:
                name, *measure = decl.children
                measure_text = self.text(measure[-1]) if measure else None
                parts["events"].append(S.EventDecl(self.text(name), measure_text, self.span(decl)))

    def group_section(self, node, parts) -> None:
        for line in node.children[1:]:
            name, *rest = line.children
            claimed = None
            attributes = []
            members = ()
            for child in rest:
                if getattr(child, "data", None) == "group_count":
                    number = next(t for t in child.children if t.type == "NUMBER")
                    claimed = self.whole(number, "单位个数")
                elif getattr(child, "data", None) == "member_list":
                    members = self.names(child)
                else:
                    attributes.append(self.attribute(child))
            parts["groups"].append(
                S.GroupDecl(self.text(name), claimed, tuple(attributes), members, self.span(line)))

    def unit_value_section(self, node, parts) -> None:
        entries = []
        for line in node.children[2:]:
            members, number = line.children[0], line.children[1]
            entries.append((self.names(members), self.number(number)))
        parts["unit_values"].append(S.UnitValueDecl(self.text(node.children[1]), tuple(entries), self.span(node)))

    def parameter_section(self, node, parts) -> None:
        for line in node.children[1:]:
            name, value = line.children
            number = re.match(r"-?\d+(?:\.\d+)?", str(value).strip()).group()
            amount = Fraction(number) / (100 if str(value).strip()[-1] in "%％" else 1)
            parts["parameters"].append(S.ParameterDecl(self.text(name), amount, self.span(line)))

    def set_section(self, node, parts) -> None:
        for line in node.children[1:]:
            name, *phrases = line.children
            parts["sets"].append(S.SetDecl(self.text(name), tuple(self.phrase(p) for p in phrases), self.span(line)))

    def tree_section(self, node, parts) -> None:
        name, total = node.children[1], node.children[2]
        branches = []
        for line in node.children[3:]:
            parent, *children = (self.tree_node(n) for n in line.children)
            branches.append((parent, tuple(children)))
        parts["trees"].append(S.TreeDecl(self.text(name), self.number(total), tuple(branches), self.span(node)))

    def tree_node(self, node) -> S.TreeNode:
        name, weight = node.children
        return S.TreeNode(self.text(name), self.number(weight), self.span(node))

    def bundle_section(self, node, parts) -> None:
        for members in node.children[1:]:
            parts["bundles"].append(S.BundleDecl(self.names(members), self.span(members)))

    def rank_table_section(self, node, parts) -> None:
        rows = []
        for line in node.children[2:]:
            group, *entries = line.children
            points: list[Fraction] = []
            rest = rest_count = None
            for entry in entries:
                parsed = self.rank_entry(entry, len(points))
                if parsed[0] == "ranks":
                    points += parsed[1]
                else:
                    rest, rest_count = parsed[1], parsed[2]
            rows.append(S.RankRow(self.text(group), tuple(points), rest, rest_count, self.span(line)))
        parts["rank_tables"].append(S.RankTableDecl(self.text(node.children[1]), tuple(rows), self.span(node)))

    def rank_entry(self, token, listed: int):
        """第1至10名依次15至6分 | 第11名5分 | 其余5分 | 后六名5分 (得基本分 may stand before the number)."""
        text = str(token).strip()
        span = self.span(token)

        def number(digits: str) -> Fraction:
            return self.number(token, digits, span)
        num = r"(\d+|[零〇一二两兩三四五六七八九十百]+)"
        to = r"\s*(?:至|到|—|-|～|~)\s*"
        lead = r"(?:得|计|計|赋以|賦以|赋|賦|依次|基本分|为|為|\s)*"
        pts = lead + num + r"\s*分"
        match = re.fullmatch(r"第?" + num + to + num + r"\s*名" + lead + num + r"\s*分?" + to + num + r"\s*分", text)
        if match:
            first, last, high, low = (int(number(g)) for g in match.groups())
            if first != listed + 1 or last < first or abs(high - low) != last - first:
                if first != listed + 1:
                    self._rank_gap(token, text, listed)
                self.diagnostics.add("GR007", span, text=text,
                                     reason=f"名次{first}至{last}共{last - first + 1}名，分值{high}至{low}共{abs(high - low) + 1}档",
                                     hint="名次数要与分值档数相同、每名差1分，例如「第1至3名依次10至8分」；"
                                          "分差不是1分的，逐个写「第1名10分，第2名8分」")
                raise _BuildError
            step = -1 if high >= low else 1
            return "ranks", [Fraction(v) for v in range(high, low + step, step)]
        match = re.fullmatch(r"第?" + num + r"\s*名\s*" + pts, text)
        if match:
            rank, value = (number(g) for g in match.groups())
            if rank != listed + 1:
                self._rank_gap(token, text, listed)
            return "ranks", [value]
        match = re.fullmatch(r"(?:其余|其餘|其他|以后|以後|之后|之後)(?:各?名(?:次)?)?(?:的?单位|的?單位)?\s*" + pts, text)
        if match:
            return "rest", number(match.group(1)), None
        match = re.fullmatch(r"(?:后|後)\s*" + num + r"\s*名\s*" + pts, text)
        if match:
            count, value = (number(g) for g in match.groups())
            return "rest", value, int(count)
        self.diagnostics.add("GR007", span, text=text,
                             reason="应写成「第1至10名依次15至6分」「第11名5分」「其余5分」或「后六名5分」",
                             hint="各段之间用逗号「，」分开，每段只写其中一种")
        raise _BuildError

    def _rank_gap(self, token, text: str, listed: int):
        self.diagnostics.add("GR007", self.span(token), text=text, reason=f"应从第{listed + 1}名接着写",
                             hint=f"名次从第1名起连续往下写，不重复、不跳过：这一段应从第{listed + 1}名开始")
        raise _BuildError

    def attribute(self, token) -> tuple[S.Text, Fraction]:
        match = re.match(r"(\D+?)\s*(\d+(?:\.\d+)?|[零〇一二两兩三四五六七八九十百千]+)\s*(.?)$", str(token))
        name = match.group(1)
        name = name.rstrip("零〇一二两兩三四五六七八九十百千")
        value = self.number(token, match.group(2), self.span(token))
        if match.group(3) in ("%", "％"):
            value /= 100
        return S.Text(name, self.span(token)), value

    def weight_section(self, node, parts) -> None:
        weights = []
        for line in node.children[2:]:
            name, percent = line.children
            weights.append((self.text(name), self.percent(percent)))
        parts["weights"].append(S.WeightDecl(self.text(node.children[1]), tuple(weights), self.span(node)))

    def percent(self, token) -> Fraction:
        return self.number(token, str(token).strip().rstrip("%％").strip()) / 100

    # ------------------------------------------------------------ score blocks

    def block_section(self, node, parts) -> None:
        name = self.text(node.children[1])
        lines = tuple(getattr(self, "line_" + line.data)(line) for line in node.children[2:])
        parts["blocks"].append(S.BlockDecl(name, lines, self.span(node)))

    def phrase(self, node) -> S.Text:
        tokens = node.children
        first, last = self.span(tokens[0]), self.span(tokens[-1])
        value = " ".join(str(t) for t in tokens)
        return S.Text(value, Span(self.file, first.line, first.column, last.end_line, last.end_column))

    def points(self, node) -> S.Points:
        span = self.span(node)
        if node.data == "zero_points":
            return S.Points(Fraction(0), span)
        if node.data == "reviewed":
            return S.Points(Fraction(1), span, kind="reviewed")
        verb = next((str(t) for t in node.children if t.type == "VERB"), "")
        sign = _SIGNS.get(verb, 1)
        if node.data == "share":
            share = next(t for t in node.children if t.type == "SHARE_OF")
            percent = next(t for t in node.children if t.type == "PERCENT")
            name = self.text(share, str(share).strip()[:-1].strip())
            return S.Points(self.percent(percent) * sign, span, kind="share", share_of=name)
        number = next(t for t in node.children if t.type == "NUMBER")
        first = any(t.type == "FIRST_KW" for t in node.children)
        return S.Points(self.number(number) * sign, span, first=first)

    def line_clause(self, node) -> S.ClauseSyntax:
        phrase, points, *qualifiers = node.children
        quals, cap, later, total_cap = [], None, None, None
        for q in qualifiers:
            if q.data == "qualifier":           # a bare total_cap alternative
                q = q.children[0]
            if q.data == "exception":
                quals.append(S.Qualifier(self.phrase(q.children[0]), self.span(q)))
            elif q.data == "cap":
                number = next(t for t in q.children if t.type == "NUMBER")
                cap = S.Cap(self.number(number), self.span(q))
            elif q.data == "total_cap":
                total_cap = self.total_cap(q)
            else:
                tokens = [t for t in q.children if t.type != "LATER_KW"]
                verb = next((str(t) for t in tokens if t.type == "VERB"), "")
                number = next(t for t in tokens if t.type == "NUMBER")
                later = S.Later(S.Points(self.number(number) * _SIGNS.get(verb, 1), self.span(q)), self.span(q))
        return S.ClauseSyntax(self.phrase(phrase), self.points(points), tuple(quals), self.span(node), cap, later,
                              total_cap)

    def total_cap(self, node) -> S.Cap:
        number = next(t for t in node.children if t.type == "NUMBER")
        return S.Cap(self.number(number), self.span(node), _cap_direction(str(node.children[0])))

    def line_block_cap(self, node) -> S.Cap:
        return self.total_cap(node)

    def line_multiplier(self, node) -> S.MultiplierSyntax:
        phrase, mult = node.children
        text = str(mult)
        number = re.search(r"\d+|[一二两兩三四五六七八九十]+", text)
        times = self.number(mult, number.group(), self.span(mult).shifted(number.start(), len(number.group())))
        factor = times + 1 if re.search(r"加|增加", text) else times
        return S.MultiplierSyntax(self.phrase(phrase), factor, self.span(node))

    def line_condition_clause(self, node) -> S.ConditionSyntax:
        children = list(node.children)
        caps = [c for c in children if getattr(c, "data", None) == "total_cap"]
        children = [c for c in children if getattr(c, "data", None) != "total_cap"]
        grain = "year"
        if getattr(children[0], "type", None) == "EACH_PERIOD":
            grain = _GRAINS[str(children[0])]
        expr, points = children[-2], children[-1]
        per_gap = points.data == "gap_score"
        if per_gap:
            gap_word = next(str(t) for t in points.children if t.type == "GAP_KW")
            verb = next((str(t) for t in points.children if t.type == "VERB"), "")
            number = next(t for t in points.children if t.type == "NUMBER")
            score = S.Points(self.number(number) * _SIGNS.get(verb, 1), self.span(points))
        else:
            score = self.points(points)
        return S.ConditionSyntax(grain, self.expr(expr), score, self.span(node),
                                 ("short" if "少" in gap_word else "over") if per_gap else None,
                                 self.total_cap(caps[-1]) if caps else None)

    def line_row_combine(self, node) -> S.CombineSyntax:
        return S.CombineSyntax("row", self.text(node.children[0]), self.span(node))

    def line_item_combine(self, node) -> S.CombineSyntax:
        return S.CombineSyntax("item", self.text(node.children[0]), self.span(node))

    def line_stacking(self, node) -> S.CombineSyntax:
        return S.CombineSyntax("stacking", self.text(node.children[0]), self.span(node))

    # ------------------------------------------------------------ definitions

    def define_section(self, node, parts) -> None:
        output = str(node.children[0]) in ("结果", "結果", "输出", "輸出")
        for line in node.children[1:]:
            if line.data == "export":
                if not output:
                    self.diagnostics.add("GR001", self.span(line), text=str(line.children[0]),
                                         reason="只写名称的一行表示输出，只能写在【结果】里",
                                         hint="中间量要写成「名称：表达式」")
                    raise _BuildError
                parts["exports"].append(S.Export(tuple(self.text(t) for t in line.children), self.span(line)))
                continue
            name, *grain, expr = line.children
            period = _GRAINS[str(grain[0])] if grain else None
            parts["definitions"].append(
                S.Definition(self.text(name), self.expr(expr), output, self.span(line), period))

    def expr(self, node) -> S.Expr:
        if not hasattr(node, "data"):  # a bare token
            return self.atom(node)
        span = self.span(node)
        kind = node.data
        c = node.children
        if kind == "number":
            return S.Num(Fraction(str(c[0])), span)
        if kind == "percent":
            return S.Num(self.percent(c[0]), span)
        if kind == "ref":
            return S.Ref(str(c[0]), span)
        if kind == "count":
            phrase = S.Text(" ".join(str(t) for t in c[1:]), span) if len(c) > 1 else S.Text("", span)
            if len(c) > 1:
                phrase = S.Text(phrase.value, Span(self.file, c[1].line, c[1].column, c[-1].end_line, c[-1].end_column))
            return S.Count(phrase, span)
        if kind == "items":
            return S.Items(str(c[1]), span)
        if kind == "periods":
            grain = "month" if str(c[0]).startswith("月") else "quarter"
            return S.Periods(grain, self.expr(c[1]), span)
        if kind == "null":
            return S.Null(span)
        if kind == "if_":
            return S.IfElse(self.expr(c[1]), self.expr(c[3]), self.expr(c[5]), span)
        if kind == "call":
            args, options = [], []
            for arg in c[1:]:
                inner = arg.children
                if arg.data == "option":
                    options.append(S.Option(None, self.text(inner[0]), self.span(arg)))
                elif arg.data == "keyed":
                    options.append(S.Option(_OPTION_KEYS[str(inner[0])], self.expr(inner[1]), self.span(arg)))
                elif options:
                    self.diagnostics.add("GR001", self.span(arg), text=str(arg.children[0])[:20],
                                         reason="参数应写在选项之前", hint="先写要计算的量，再写「本组」「从高到低」等选项")
                    raise _BuildError
                else:
                    args.append(self.expr(inner[0]))
            return S.Call(FUNCTIONS[str(c[0])], tuple(args), tuple(options), span)
        if kind == "binop":
            return S.BinOp(_OPS[str(c[1])], self.expr(c[0]), self.expr(c[2]), span)
        if kind == "compare":
            return S.Compare(_CMP[str(c[1])], self.expr(c[0]), self.expr(c[2]), span)
        if kind in ("and_", "or_"):
            return S.BinOp(kind[:-1], self.expr(c[0]), self.expr(c[1]), span)
        if kind == "not_":
            return S.Not(self.expr(c[0]), span)
        if kind == "negate":
            return S.Negate(self.expr(c[1]), span)
        raise AssertionError(kind)  # pragma: no cover

    def atom(self, token) -> S.Expr:
        if token.type == "DIGITS":
            return S.Num(Fraction(str(token)), self.span(token))
        if token.type == "PERCENT":
            return S.Num(self.percent(token), self.span(token))
        return S.Ref(str(token), self.span(token))


def _literal(text: str) -> str | None:
    """How a malformed numeral would read digit by digit, to help the drafter check the original."""
    try:
        value = parse_number(text)
    except (ValueError, ZeroDivisionError):
        return None
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


def _cap_direction(word: str) -> str:
    """扣分上限 / 最多扣 bound deductions, 加分上限 / 最多加 bound bonuses, 上限 bounds both."""
    if "扣" in word:
        return "deduction"
    if "加" in word:
        return "bonus"
    return "both"


def _simplify_level(text: str) -> str:
    return {"國家": "国家", "縣": "县"}.get(text, text)
