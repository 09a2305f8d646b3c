"""The `govrule` command: check a policy, score a ledger with it.

Heavy modules (Lark, networkx, the converter tables) are imported inside the commands,
so that `govrule --help` starts at once.
"""
from __future__ import annotations

import json
import sys

import click

EXIT_ERRORS = 1
EXIT_REJECTED = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="govrule", message="govrule %(version)s")
def main() -> None:
    """govrule：把政务信息考核办法写成可执行的规则。

    \b
      govrule check 政策.rule            检查政策文件
      govrule eval  政策.rule 台账.csv   按政策为台账打分
      govrule explain 政策.rule 台账.csv --unit 单位   解释一个单位的得分
    """


@main.command()
@click.argument("policy", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="输出格式")
@click.option("--strict", is_flag=True, help="有警告也以非零状态退出")
def check(policy: str, fmt: str, strict: bool) -> None:
    """检查政策文件：语法、名称、自相矛盾之处。"""
    from govrule.compiler.pipeline import compile_file

    compiled = compile_file(policy)
    diagnostics = compiled.diagnostics.sorted()
    if fmt == "json":
        click.echo(json.dumps({"file": policy, "diagnostics": [d.to_json() for d in diagnostics]},
                              ensure_ascii=False, indent=2))
    else:
        _print_diagnostics(diagnostics, compiled.source)
        errors = sum(d.severity == "error" for d in diagnostics)
        warnings = sum(d.severity == "warning" for d in diagnostics)
        summary = "没有发现问题" if not diagnostics else f"{errors} 个错误，{warnings} 个警告"
        click.echo(f"{policy}：{summary}")
    if compiled.diagnostics.has_errors or (strict and any(d.severity == "warning" for d in diagnostics)):
        sys.exit(EXIT_ERRORS)


@main.command(name="eval")
@click.argument("policy", type=click.Path(dir_okay=False))
@click.argument("ledgers", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式")
@click.option("--period", "year", type=click.IntRange(1900, 2999), default=None, metavar="YEAR",
              help="考核年度，覆盖政策的默认年度")
@click.option("--param", "params", multiple=True, metavar="名称=值",
              help="覆盖政策里【参数】的值，例如 --param 专报要求=8；可写多次")
@click.option("--explain", is_flag=True, help="在结果旁写出每个单位的计分过程")
@click.option("--allow-rejected", is_flag=True, help="有被拒绝的行时仍以零状态退出")
def evaluate(policy: str, ledgers: tuple[str, ...], fmt: str, year: int | None, params: tuple[str, ...],
             explain: bool, allow_rejected: bool) -> None:
    """按政策为台账打分：每个单位的每项结果。"""
    compiled, results = _score(policy, ledgers, year, params)
    traces = _all_traces(results, compiled) if explain else None
    if fmt == "json":
        click.echo(json.dumps(_json(results, compiled, traces), ensure_ascii=False, indent=1))
    else:
        click.echo(_table(results, compiled.plan))
        if traces is not None:
            from .trace_view import trace_text

            for unit in results.units:
                click.echo("\n" + trace_text(traces[unit.unit], f"━━ {unit.unit}（{unit.group}）"))
    _report_rows(results)
    if results.rejected and not allow_rejected:
        sys.exit(EXIT_REJECTED)


@main.command()
@click.argument("policy", type=click.Path(dir_okay=False))
@click.argument("ledgers", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--unit", "unit_name", required=True, metavar="单位", help="要解释的单位（名称或简称）")
@click.option("--output", "output_names", multiple=True, metavar="名称",
              help="只解释这一项结果或中间量；可写多次")
@click.option("--period", "period_text", default=None, metavar="期间",
              help="考核年度（2018），或只看一个季度、一个月（2018Q2、2018-05）")
@click.option("--param", "params", multiple=True, metavar="名称=值", help="覆盖政策里【参数】的值")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="输出格式")
def explain(policy: str, ledgers: tuple[str, ...], unit_name: str, output_names: tuple[str, ...],
            period_text: str | None, params: tuple[str, ...], fmt: str) -> None:
    """解释一个单位的得分：每个数从哪条规则、台账哪一行来。"""
    from govrule.runtime.trace import explain as trace

    from .trace_view import trace_json, trace_text

    year, label = _period_option(period_text)
    compiled = _compiled(policy)
    if year is not None and int(compiled.plan.policy.period.start[:4]) == year:
        year = None                      # the policy's own year: keep its exact dates
    plan = compiled.plan
    unit = _known(unit_name, plan.units, "单位")
    outputs = [_known(n, {**{k: k for k in plan.definitions}, **{k: k for k in plan.blocks}}, "结果或中间量")
               for n in output_names] or None
    compiled, results = _score(policy, ledgers, year, params, compiled)
    window = _sub_period(results.period, label)
    nodes = trace(results.evaluation, unit, outputs, window, compiled.source)
    group = plan.unit_groups[unit].name
    if fmt == "json":
        click.echo(json.dumps({"unit": unit, "group": group, "period": window.label if window else results.period.label,
                               "trace": [trace_json(n) for n in nodes]}, ensure_ascii=False, indent=1))
    else:
        heading = f"{unit}（{group}）  {window.label if window else results.period.label}  {results.title}"
        click.echo(trace_text(nodes, heading))
    if results.rejected:
        click.echo(f"注意：台账有 {len(results.rejected)} 行被拒绝，没有计入（govrule eval 列出原因）", err=True)


def _score(policy: str, ledgers, year, params, compiled=None):
    """Compile (unless given), apply --param, read and score the ledgers; stop with a message on failure."""
    from govrule.runtime.ledger import LedgerError
    from govrule.runtime.run import evaluate_ledger

    compiled = compiled or _compiled(policy)
    overrides = _parameters(params, compiled.plan)
    period = compiled.plan.policy.period
    if year is not None and period.year_named and int(period.start[:4]) != year:
        click.echo(f"注意：政策写明的考核期是 {period.start} 至 {period.end}，按 --period 改为 {year} 年", err=True)
    try:
        return compiled, evaluate_ledger(compiled.plan, ledgers, year, overrides)
    except LedgerError as error:
        click.echo(f"错误：{error}", err=True)
        sys.exit(EXIT_ERRORS)


def _compiled(policy: str):
    """The compiled policy; one with errors is shown and stops the command."""
    from govrule.compiler.pipeline import compile_file

    compiled = compile_file(policy)
    if not compiled.ok:
        _print_diagnostics(compiled.diagnostics.sorted(), compiled.source, err=True)
        click.echo(f"{policy}：政策有错误，无法打分（先运行 govrule check）", err=True)
        sys.exit(EXIT_ERRORS)
    return compiled


def _report_rows(results) -> None:
    for notice in results.notices:
        click.echo(f"注意：{notice}", err=True)
    for rejection in results.rejected:
        click.echo(f"拒绝：{rejection}", err=True)
    click.echo(f"台账：计分 {len(results.counted)} 行，未匹配 {len(results.unmatched)} 行，"
               f"拒绝 {len(results.rejected)} 行", err=True)


def _all_traces(results, compiled) -> dict:
    from govrule.runtime.trace import explain as trace

    return {u.unit: trace(results.evaluation, u.unit, source=compiled.source) for u in results.units}


def _period_option(text: str | None) -> tuple[int | None, str | None]:
    """2018 -> (2018, None); 2018Q2 / 2018-05 -> (2018, the period's label)."""
    import re

    if text is None:
        return None, None
    text = text.strip().upper().replace("－", "-")
    if re.fullmatch(r"\d{4}", text):
        return int(text), None
    found = re.fullmatch(r"(\d{4})Q([1-4])", text) or re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if found is None or ("-" in text and not 1 <= int(found.group(2)) <= 12):
        _fail(f"--period {text}：应写成年度（2018）、季度（2018Q2）或月份（2018-05）")
    year = int(found.group(1))
    return year, (f"{year}Q{found.group(2)}" if "Q" in text else f"{year}-{int(found.group(2)):02d}")


def _sub_period(period, label: str | None):
    from govrule.runtime.periods import subdivide

    if label is None:
        return None
    grain = "quarter" if "Q" in label else "month"
    found = next((p for p in subdivide(period, grain) if p.label == label), None)
    if found is None:
        _fail(f"--period {label}：不在考核期 {period.start} 至 {period.end} 内")
    return found


def _known(text: str, names: dict, kind: str) -> str:
    """A unit or quantity by any of its spellings; an unknown one stops with a did-you-mean."""
    from govrule.compiler.diagnostics import did_you_mean
    from govrule.compiler.normalize import normalize

    found = names.get(normalize(text))
    if found is None:
        hint = did_you_mean(normalize(text), sorted(set(names.values()))) or f"政策里没有这个{kind}"
        _fail(f"没有{kind}「{text}」（{hint}）")
    return found


def _parameters(params: tuple[str, ...], plan) -> dict:
    """--param 专报要求=8 -> {"专报要求": 8}; an unknown name or a bad number stops with a hint."""
    from govrule.compiler.diagnostics import did_you_mean
    from govrule.compiler.normalize import normalize
    from govrule.compiler.numerals import parse_number

    overrides = {}
    for text in params:
        name, sep, value = text.partition("=")
        name = normalize(name)
        if not sep or not name:
            _fail(f"--param {text}：应写成「名称=值」，例如 --param 专报要求=8")
        if name not in plan.parameters:
            known = sorted(plan.parameters)
            hint = did_you_mean(name, known) or ("政策里的参数：" + "、".join(known) if known else "这个政策没有声明【参数】")
            _fail(f"--param {text}：政策没有参数「{name}」（{hint}）")
        number = value.strip().rstrip("条條篇分个個项項次人").strip()
        percent = number.endswith(("%", "％"))
        number = number.rstrip("%％").strip()
        negative = number.startswith(("-", "－", "−"))
        try:
            amount = parse_number(number.lstrip("-－−").strip())
        except (ValueError, ZeroDivisionError):
            _fail(f"--param {text}：「{value}」不是数字")
        overrides[name] = (-amount if negative else amount) / (100 if percent else 1)
    return overrides


def _fail(message: str) -> None:
    click.echo(f"错误：{message}", err=True)
    sys.exit(EXIT_ERRORS)


def _print_diagnostics(diagnostics, source: str, err: bool = False) -> None:
    from .render import render_diagnostic

    lines = source.splitlines()
    for diagnostic in diagnostics:
        click.echo(render_diagnostic(diagnostic, lines), err=err)


def _json(results, compiled, traces=None) -> dict:
    from .render import json_value

    data = {
        "policy": results.title,
        "period": {"from": results.period.start.isoformat(), "to": results.period.end.isoformat()},
        "units": [{"unit": u.unit, "group": u.group, "results": {k: json_value(v) for k, v in u.results.items()}}
                  for u in results.units],
        "rows": {"counted": len(results.counted), "unmatched": len(results.unmatched),
                 "rejected": len(results.rejected)},
        "diagnostics": [d.to_json() for d in compiled.diagnostics.sorted()],
    }
    if traces is not None:
        from .trace_view import trace_json

        for entry in data["units"]:
            entry["trace"] = [trace_json(n) for n in traces[entry["unit"]]]
    return data


def _table(results, plan) -> str:
    """One ranked table per group, in the policy's group order."""
    from fractions import Fraction

    from govrule.compiler import ir

    from .render import table, text_value

    outputs = [d.name for d in plan.policy.outputs]
    rank = next((d.name for d in plan.policy.outputs if isinstance(d.expr, ir.Rank) and d.grain is None), None)
    numeric = next((n for n in outputs if any(isinstance(u.results[n], Fraction) for u in results.units)), None)
    # ordering uses whole-period values only; a per-quarter rank or score is shown, not sorted on

    def order(u):
        if rank is not None:
            value = u.results[rank]
            return (value is None, value if value is not None else 0)
        value = u.results.get(numeric) if numeric else None
        return (value is None, -(value or 0))

    # a per-quarter (per-month) output takes one column per period: 季度考核分·Q1 …
    columns = []
    for name in outputs:
        sample = results.units[0].results[name] if results.units else None
        if isinstance(sample, dict):
            columns += [(f"{name}·{_short(label)}", name, label) for label in sample]
        else:
            columns.append((name, name, None))

    def cell(u, name, label):
        value = u.results[name]
        return text_value(value[label] if label is not None else value)

    parts = [f"{results.title}（{results.period.start} 至 {results.period.end}）"]
    for group in plan.policy.groups:
        members = sorted((u for u in results.units if u.group == group.name), key=order)
        rows = [[str(i), u.unit, *(cell(u, n, label) for _, n, label in columns)] for i, u in enumerate(members, 1)]
        parts.append(f"\n【{group.name}】{len(members)}个单位")
        parts.append(table(["序", "单位", *(header for header, _, _ in columns)], rows))
    return "\n".join(parts)


def _short(label: str) -> str:
    """2018Q1 -> Q1, 2018-03 -> 3月."""
    if "Q" in label:
        return label[label.index("Q"):]
    if "-" in label:
        return f"{int(label.rsplit('-', 1)[1])}月"
    return label


if __name__ == "__main__":  # pragma: no cover
    main()
