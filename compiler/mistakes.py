"""Named syntax mistakes: a table of what drafters get wrong, each shown by examples.

When the parser fails, the failure is compared with the failures of the examples, in the
manner of Lark's `match_examples`: the same parser state, and the same kind of thing found
there (a line end, or some text). A mistake may narrow this further with a pattern that the
offending text, or the whole source line, must match. The first mistake that fits names the
diagnostic; a failure no example resembles gets the parser's own description.

Each example is also a test (tests/test_syntax_examples.py): framed by `frame`, it must give
its mistake's code and reason. Mistakes that Lark cannot see, such as an unclosed 《 inside a
clause phrase (a phrase may hold any character), keep their wording here and are reported by
the pass that finds them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .span import Span

_FRAME = "标题：示例\n考核期：2020年\n\n【单位组】\n甲组，月任务2条：甲局、乙局\n\n{}\n"


def frame(example: str) -> str:
    """An example as a whole policy file: a title, a period and one group come before it."""
    return _FRAME.format(example)


@dataclass(frozen=True)
class Mistake:
    name: str                 # stable, for tests and for anyone grepping
    code: str                 # GR001 (text that cannot be read) or GR002 (a line not finished)
    reason: str               # fills {reason} of the code's message; may use the fields below
    hint: str | None
    examples: tuple[str, ...]
    found: str | None = None  # a pattern the offending text must start with
    line: str | None = None   # a pattern the source line must contain; its group "at" places the caret
    anywhere: bool = False    # `line` may be on any line up to the failure (Lark notices it later)


# Fields for reason and hint: {found} the offending text, {first} its first character,
# {before} the line's text before it, and any named group of `line` ({at}, {text}).
_SCORE = r"(?:每(?:条|條|次|项|項|个|個|篇))?(?:扣除|扣减|扣減|扣|加|计|計|减|減|得)\s*(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+)\s*分"
_SECTIONS = (r"级别|級別|刊物|形式|类别|類別|标记|標記|事项|事項|单位组|單位組|单位数值|單位數值|单位|單位|计分|計分|"
             r"结果|結果|输出|輸出|中间量|中間量|权重|權重|捆绑考核|捆綁考核|捆绑|捆綁|参数|參數|集合|指标|指標|名次分")
_END = r"\s*(?:[#＃].*)?$"

MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "wrong-section-brackets", "GR001",
        "节名要用「【」「】」括起来，不能用「{at}」",
        "写成「【计分：名称】」这样的全角方头括号",
        ("[计分：报送分]\n报送信息，每条计1分",
         "［结果］\n积分：1"),
        line=r"^\s*(?P<at>[\[［〔〖(（<＜])\s*(?:" + _SECTIONS + r")\s*(?:[：:]|[\]］〕〗)）>＞])", anywhere=True),
    Mistake(
        "trailing-punctuation", "GR001",
        "行末不要加「{first}」",
        "政策一句一行，行末不加句号、分号，删去「{first}」即可",
        ("【计分：报送分】\n报送信息，每条计1分。",
         "【计分：报送分】\n报送信息，每条计1分；",
         "【计分：报送分】\n报送信息，每条计1分，最高10分。",
         "【计分：报送分】\n报送信息，每条计1分，扣分上限10分。",
         "【计分：报送分】\n报送信息，每条计1分\n本项扣分上限10分。",
         "【计分：报送分】\n报送信息，分值加一倍。",
         "【计分：报送分】\n报送信息，不计分。",
         "【计分：扣分】\n每月若 条数（报送）< 2，扣2分。",
         "【结果】\n积分：1。",
         "【单位组】\n乙组：丙局、丁局。",
         "【级别】\n省：河南省。",
         "【刊物】\n政府工作快报：省。",
         "【权重：先进单位】\n甲：50%。"),
        found=r"[。；;]", line=r"(?P<at>[。；;])" + _END),
    Mistake(
        "period-word-clause", "GR001",
        "以「{before}」开头的一行是条件条款，「{before}」后面要写「若」和条件",
        "普通条款按整个考核期计分，不必写「{before}」，删去即可；条件条款写成「{before}若 条件，扣N分」",
        ("【计分：报送分】\n全年报送信息的，每条计1分",
         "【计分：报送分】\n每月报送信息，每条计1分"),
        line=r"^\s*(?:每月|每季度|每季|全年|每年)\s*(?!若|如果)"),
    Mistake(
        "score-glued-to-name", "GR001",
        "条件和分值之间缺少逗号，分值「{at}」和前面连在一起，被读成了名称",
        "在「{at}」前加逗号「，」",
        ("【计分：扣分】\n每月若 条数（报送）< 本组月任务扣2分",
         "【计分：扣分】\n若 条数（报送）< 本组月任务每条扣2分"),
        line=r"(?P<text>[^\s，,<>=≤≥＜＞＝()（）]*?(?P<at>" + _SCORE + r"))" + _END),
    Mistake(
        "condition-without-score", "GR002",
        "条件条款缺少分值",
        "在条件后面写分值，例如「若 条数（报送）< 2，扣2分」",
        ("【计分：扣分】\n每月若 条数（报送）< 本组月任务",
         "【计分：扣分】\n每月若 条数（报送）< 2",
         "【计分：扣分】\n每月若 条数（报送）< 2，")),
    Mistake(
        "missing-fen", "GR002",
        "分值后面缺少「分」",
        "分值后面要写「分」，例如「每条计20分」",
        ("【计分：报送分】\n报送信息，每条计1",
         "【计分：报送分】\n报送信息，每条计1分，最高10",
         "【计分：报送分】\n报送信息，每条计1分，扣分上限10",
         "【计分：报送分】\n报送信息，每条计1分\n本项扣分上限10",
         "【计分：扣分】\n每月若 条数（报送）< 2，扣2")),
    Mistake(
        "wrong-fen", "GR001",
        "分值的单位应是「分」，不是「{first}」",
        "把「{first}」改成「分」",
        ("【计分：报送分】\n报送信息，每条计1份",
         "【计分：报送分】\n报送信息，每条计1分，最高10份"),
        found=r"[份芬]"),
    Mistake(
        "missing-score", "GR002",
        "条款缺少分值",
        "条款要以分值结尾，例如「每条计20分」「扣10分」「不计分」或「分值加一倍」",
        ("【计分：报送分】\n报送信息",
         "【计分：报送分】\n报送信息，")),
    Mistake(
        "score-before-phrase", "GR001",
        "条款要先写是哪些信息，再写分值",
        "调换顺序，例如「报送信息，每条计1分」",
        ("【计分：报送分】\n每条计1分，报送信息",
         "【计分：报送分】\n计1分，报送信息"),
        found=r"(?:每|一次|第一次|首次|计|計|加|扣|减|減|得|\d|[零一二两三四五六七八九十])"),
    Mistake(
        "per-after-score", "GR001",
        "「{found}」要写在分值前面",
        "写成「{found}计N分」，例如「每条计1分」",
        ("【计分：报送分】\n报送信息，计1分每条",),
        found=r"每(?:条|條|篇|次|项|項|个|個|人|起|件|份)"),
    Mistake(
        "header-in-section", "GR001",
        "「{text}」是文件头，要写在第一个「【」之前",
        "把这一行移到文件开头",
        ("【计分：报送分】\n报送信息，每条计1分\n考核期：2020年",
         "【结果】\n积分：1\n考核期：2020年"),
        line=r"^\s*(?P<text>标题|標題|文号|文號|考核期间|考核期間|考核期|政策名称|政策名稱)\s*[：:]"),
    Mistake(
        "colon-in-clause", "GR001",
        "条款里分值前面用逗号「，」，不用冒号",
        "把「{first}」改成「，」",
        ("【计分：报送分】\n报送信息：每条计1分",),
        found=r"[：:]"),
    Mistake(
        "list-separator", "GR001",
        "名单里的各项之间要用顿号「、」分开，不能用「{first}」",
        "把「{first}」改成「、」",
        ("【单位组】\n乙组：丙局,丁局",
         "【单位组】\n乙组：丙局，丁局",
         "【单位组】\n乙组：丙局；丁局",
         "【级别】\n省：河南省，河南",
         "【刊物】\n政府工作快报：省，市"),
        found=r"[，,；;/／]"),
    Mistake(
        "section-without-colon", "GR001",
        "节名里缺少冒号「：」",
        "关键词和名称之间加冒号，例如「【计分：报送分】」",
        ("【计分 报送分】\n报送信息，每条计1分",
         "【权重 先进单位】\n甲：50%")),
    Mistake(
        "unclosed-section", "GR002",
        "节名缺少「】」",
        "节名要用「【」「】」括起来，例如「【计分：报送分】」",
        ("【计分：报送分\n报送信息，每条计1分",
         "【结果\n积分：1")),
    Mistake(
        "unclosed-paren", "GR002",
        "括号「（」没有对应的「）」",
        "补上「）」",
        ("【结果】\n积分：（1 + 2",
         "【结果】\n积分：最大（1，2")),
    Mistake(
        "width-mixed-comparison", "GR001",
        "「{at}」不是比较符号：两个字的比较符号要用半角",
        "写成「≥」「≤」「≠」，或者半角的「>=」「<=」「!=」",
        ("【结果】\n积分：若 2 ＞＝ 1 则 1 否则 0",
         "【结果】\n积分：若 2 >＝ 1 则 1 否则 0"),
        found=r"[＝=]", line=r"(?P<at>[＞＜＝！][＝=]|[><=!]＝)"),
    Mistake(
        "unclosed-title-mark", "GR001",
        "书名号「{text}」没有对应的「{other}」",
        "刊物名前后的「《」「》」要成对，或者都不写",
        ("【刊物】\n政府工作快报：省\n【计分：采用分】\n被省《政府工作快报采用的，每条计1分\n同一信息重复采用的，累计计分\n【结果】\n积分：采用分",
         "【刊物】\n政府工作快报：省\n【计分：采用分】\n被省政府工作快报》采用的，每条计1分\n同一信息重复采用的，累计计分\n【结果】\n积分：采用分")),
)

BY_NAME = {m.name: m for m in MISTAKES}


@dataclass(frozen=True)
class Found:
    """A mistake recognised in a failure: what to report and where."""
    mistake: Mistake
    span: Span
    text: str
    reason: str
    hint: str | None


def recognise(error, lines: list[str], file: str) -> Found | None:
    """The named mistake that a Lark failure (on text split into `lines`) is an instance of, if any."""
    line, column = max(getattr(error, "line", 1) or 1, 1), max(getattr(error, "column", 1) or 1, 1)
    for mistake in MISTAKES:
        if mistake.anywhere:
            for number in range(1, min(line, len(lines)) + 1):
                match = re.search(mistake.line, lines[number - 1])
                if match:
                    return _found(mistake, lines[number - 1], number, match.start("at") + 1, "", match, file)
    signature = _signature(error)
    if signature is None:
        return None
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    found = _offending(error, source_line, column)
    for mistake in MISTAKES:
        if mistake.anywhere or signature not in _example_signatures(mistake.name):
            continue
        if mistake.found and not re.match(mistake.found, found):
            continue
        match = re.search(mistake.line, source_line) if mistake.line else None
        if mistake.line and match is None:
            continue
        return _found(mistake, source_line, line, column, found, match, file)
    return None


def _found(mistake, source_line, line, column, found, match, file) -> Found:
    fields = {"found": found, "before": source_line[:column - 1].strip()}
    width = len(found)
    if match is not None:
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        fields.update(groups)
        group = next((g for g in ("text", "at") if g in groups), None)
        if group:
            column, width = match.start(group) + 1, len(groups[group])
    text = fields.get("text") or fields.get("at") or found
    fields["first"] = (fields.get("at") or found)[:1]
    span = Span(file, line, column, line, column + max(width, 1))
    reason, hint = describe(mistake.name, **fields)
    return Found(mistake, span, text, reason, hint)


def describe(name: str, **fields) -> tuple[str, str | None]:
    """A mistake's reason and hint, filled in; for passes that find a mistake themselves."""
    mistake = BY_NAME[name]
    return mistake.reason.format(**fields), mistake.hint.format(**fields) if mistake.hint else None


def _offending(error, source_line: str, column: int) -> str:
    token = getattr(error, "token", None)
    if token is not None and token.type not in ("_NL", "$END"):
        return str(token).strip() or source_line[column - 1:column]
    if token is None:                       # UnexpectedCharacters: the character itself
        return source_line[column - 1:column]
    return ""


def _signature(error) -> tuple | None:
    """The parser state at the failure, and whether a line end or some text was found there."""
    if error is None:
        return None
    position = getattr(getattr(error, "state", None), "position", None)
    if position is None:
        return None
    token = getattr(error, "token", None)
    return position, "end" if token is not None and token.type in ("_NL", "$END") else "text"


@lru_cache(maxsize=None)
def _example_signatures(name: str) -> frozenset:
    """The failures of a mistake's examples; parsed once, when a policy first fails to parse."""
    from .parse import failure

    failures = (failure(frame(example)) for example in BY_NAME[name].examples)
    return frozenset(s for s in map(_signature, failures) if s is not None)
