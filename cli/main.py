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
@click.option("--allow-rejected", is_flag=True, help="有被拒绝的行时仍以零状态退出")
def evaluate(policy: str, ledgers: tuple[str, ...], fmt: str, year: int | None, params: tuple[str, ...],
             allow_rejected: bool) -> None:
    """按政策为台账打分：每个单位的每项结果。"""
    from govrule.compiler.pipeline import compile_file
    from govrule.runtime.ledger import LedgerError
    from govrule.runtime.run import evaluate_ledger

    compiled = compile_file(policy)
    if not compiled.ok:
        _print_diagnostics(compiled.diagnostics.sorted(), compiled.source, err=True)
        click.echo(f"{policy}：政策有错误，无法打分（先运行 govrule check）", err=True)
        sys.exit(EXIT_ERRORS)
    overrides = _parameters(params, compiled.plan)
    period = compiled.plan.policy.period
    if year is not None and period.year_named and int(period.start[:4]) != year:
        click.echo(f"注意：政策写明的考核期是 {period.start} 至 {period.end}，按 --period 改为 {year} 年", err=True)
    try:
        results = evaluate_ledger(compiled.plan, ledgers, year, overrides)
    except LedgerError as error:
        click.echo(f"错误：{error}", err=True)
        sys.exit(EXIT_ERRORS)
    if fmt == "json":
        click.echo(json.dumps(_json(results, compiled), ensure_ascii=False, indent=1))
    else:
        click.echo(_table(results, compiled.plan))
    for notice in results.notices:
        click.echo(f"注意：{notice}", err=True)
    for rejection in results.rejected:
        click.echo(f"拒绝：{rejection}", err=True)
    click.echo(f"台账：计分 {len(results.counted)} 行，未匹配 {len(results.unmatched)} 行，"
               f"拒绝 {len(results.rejected)} 行", err=True)
    if results.rejected and not allow_rejected:
        sys.exit(EXIT_REJECTED)


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


def _json(results, compiled) -> dict:
    from .render import json_value

    return {
        "policy": results.title,
        "period": {"from": results.period.start.isoformat(), "to": results.period.end.isoformat()},
        "units": [{"unit": u.unit, "group": u.group, "results": {k: json_value(v) for k, v in u.results.items()}}
                  for u in results.units],
        "rows": {"counted": len(results.counted), "unmatched": len(results.unmatched),
                 "rejected": len(results.rejected)},
        "diagnostics": [d.to_json() for d in compiled.diagnostics.sorted()],
    }


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
