"""The `govrule` command: check a policy, score a ledger with it.

Heavy modules (Lark, networkx, the converter tables) are imported inside the commands,
so that `govrule --help` starts at once.
"""
from __future__ import annotations

import gc
import json
import os
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
@click.option("--select", "select", multiple=True, metavar="代码",
              help="只报告这些代码（或前缀，如 GR3）；可写多次，也可用逗号分隔")
@click.option("--ignore", "ignore", multiple=True, metavar="代码", help="不报告这些代码（或前缀）；可写多次")
def check(policy: str, fmt: str, strict: bool, select: tuple[str, ...], ignore: tuple[str, ...]) -> None:
    """检查政策文件：语法、名称、自相矛盾之处。

    \b
    在政策的某一行末尾写「# 忽略 GR202」，可以关掉这一行的这条警告。
    """
    from govrule.compiler.diagnostics import ERROR, WARNING, unknown_prefixes
    from govrule.compiler.pipeline import compile_file

    select, ignore = _codes(select), _codes(ignore)
    unknown = unknown_prefixes(select + ignore)
    if unknown:
        _fail(f"没有代码「{'」「'.join(unknown)}」（代码的写法如 GR202，或前缀 GR2；全部代码见 docs/diagnostics.md）")
    compiled = compile_file(policy)
    shown = compiled.diagnostics.filtered(select, ignore)
    hidden_errors = sum(d.severity == ERROR for d in compiled.diagnostics.items) - sum(d.severity == ERROR for d in shown)
    if fmt == "json":
        click.echo(json.dumps({"file": policy, "diagnostics": [d.to_json() for d in shown]},
                              ensure_ascii=False, indent=2))
    else:
        _print_diagnostics(shown, compiled.source)
        errors = sum(d.severity == ERROR for d in shown)
        warnings = sum(d.severity == WARNING for d in shown)
        summary = "没有发现问题" if not shown and not hidden_errors else f"{errors} 个错误，{warnings} 个警告"
        if hidden_errors:
            summary += f"；另有 {hidden_errors} 个错误未显示，政策仍无法打分"
        click.echo(f"{policy}：{summary}")
    # an error hidden by --ignore still fails: the policy cannot be scored, whatever is shown
    if compiled.diagnostics.has_errors or (strict and any(d.severity == WARNING for d in shown)):
        sys.exit(EXIT_ERRORS)


def _codes(values: tuple[str, ...]) -> list[str]:
    """--select GR1 --select GR202,GR3 -> ["GR1", "GR202", "GR3"]."""
    return [code.strip() for value in values for code in value.replace("，", ",").split(",") if code.strip()]


@main.command(name="eval")
@click.argument("policy", type=click.Path(dir_okay=False))
@click.argument("ledgers", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]), default=None,
              help="输出格式；不写时按 --output 的扩展名，否则为 table")
@click.option("--output", "output", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="把结果写入文件（.xlsx、.csv、.json）而不是屏幕")
@click.option("--sheet", default=None, metavar="工作表", help=".xlsx 台账读哪个工作表（名称或序号），默认第一个")
@click.option("--period", "year", type=click.IntRange(1900, 2999), default=None, metavar="YEAR",
              help="考核年度，覆盖政策的默认年度")
@click.option("--param", "params", multiple=True, metavar="名称=值",
              help="覆盖政策里【参数】的值，例如 --param 专报要求=8；可写多次")
@click.option("--explain", is_flag=True, help="在结果旁写出每个单位的计分过程")
@click.option("--rejected", "rejected_file", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="把被拒绝的行连同原因写入文件（.csv 或 .xlsx），改正后可以直接再读入")
@click.option("--allow-rejected", is_flag=True, help="有被拒绝的行时仍以零状态退出")
def evaluate(policy: str, ledgers: tuple[str, ...], fmt: str | None, output: str | None, sheet: str | None,
             year: int | None, params: tuple[str, ...], explain: bool, rejected_file: str | None,
             allow_rejected: bool) -> None:
    """按政策为台账打分：每个单位的每项结果。

    \b
    台账可以是 .csv（UTF-8 或 GB18030）、.xlsx 或 .jsonl，可以一次读多个文件。
    结果按单位组排名；--format xlsx 写出每组一张表，外加分期结果和未计分、拒绝的行。
    """
    fmt = fmt or _format_of(output)
    if fmt == "xlsx" and output is None:
        _fail("--format xlsx 需要用 --output 指定文件，例如 --output 结果.xlsx")
    if explain and fmt == "csv":
        _fail("--explain 只用于 table、json 或 xlsx 格式；CSV 放不下计分过程")
    compiled, results = _score(policy, ledgers, year, params, sheet=sheet)
    traces = _all_traces(results, compiled) if explain else None
    if fmt == "xlsx":
        from .export import write_results_xlsx

        _write(output, lambda path: write_results_xlsx(results, compiled.plan, path, traces))
    elif fmt == "csv":
        from .export import results_csv

        _emit(results_csv(results, compiled.plan), output, bom=True)
    elif fmt == "json":
        data = _json(results, compiled, traces)
        # indented JSON goes through Python's slow encoder: long row lists are written compactly
        indent = 1 if len(data["unmatched"]) + len(data["rejected"]) < 10_000 else None
        _emit(json.dumps(data, ensure_ascii=False, indent=indent) + "\n", output)
    else:
        text = _table(results, compiled.plan)
        if traces is not None:
            from .trace_view import trace_text

            text += "".join("\n\n" + trace_text(traces[u.unit], f"━━ {u.unit}（{u.group}）") for u in results.units)
        _emit(text + "\n", output)
        _list_unmatched(results)
    if rejected_file is not None:
        from .export import write_rejected

        _write(rejected_file, lambda path: write_rejected(results.rejected, path))
    _report_rows(results)
    if results.rejected and not allow_rejected:
        if rejected_file is None:
            click.echo("被拒绝的行没有计分；用 --rejected 文件 把它们连同原因导出，改正后再读入；"
                       "或用 --allow-rejected 忽略", err=True)
        sys.exit(EXIT_REJECTED)


def _format_of(output: str | None) -> str:
    suffix = output.rsplit(".", 1)[-1].lower() if output and "." in output else ""
    return suffix if suffix in ("xlsx", "csv", "json") else "table"


def _emit(text: str, output: str | None, bom: bool = False) -> None:
    """Text to the screen, or to a file (CSV files with a BOM, so that Excel reads them as UTF-8)."""
    if output is None:
        click.echo(text, nl=False)
        return
    from pathlib import Path

    _write(output, lambda path: Path(path).write_text(text, encoding="utf-8-sig" if bom else "utf-8", newline=""))


def _write(path: str, write) -> None:
    try:
        write(path)
    except OSError as error:
        _fail(f"无法写入「{path}」：{error.strerror or error}")
    click.echo(f"已写入 {path}", err=True)


def _list_unmatched(results, limit: int = 20) -> None:
    """The terminal lists the first unmatched rows; the files (json, xlsx) list all of them."""
    unmatched = results.unmatched_at
    if not unmatched:
        return
    click.echo(f"\n未匹配的行（没有规则计入）：{len(unmatched)} 行", err=True)
    for r in results.rows.rows_at(unmatched[:limit]):
        where = " ".join(x for x in (r.publication, r.level, r.form, r.category) if x)
        click.echo(f"  {r.file}:{r.row}: {r.unit} {r.event} {where}".rstrip(), err=True)
    if len(unmatched) > limit:
        click.echo(f"  ……另有 {len(unmatched) - limit} 行；--format xlsx 或 json 列出全部", err=True)


@main.command()
@click.argument("policy", type=click.Path(dir_okay=False))
@click.argument("ledgers", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--unit", "unit_name", required=True, metavar="单位", help="要解释的单位（名称或简称）")
@click.option("--output", "output_names", multiple=True, metavar="名称",
              help="只解释这一项结果或中间量；可写多次")
@click.option("--period", "period_text", default=None, metavar="期间",
              help="考核年度（2018），或只看一个季度、一个月（2018Q2、2018-05）")
@click.option("--param", "params", multiple=True, metavar="名称=值", help="覆盖政策里【参数】的值")
@click.option("--sheet", default=None, metavar="工作表", help=".xlsx 台账读哪个工作表（名称或序号），默认第一个")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="输出格式")
def explain(policy: str, ledgers: tuple[str, ...], unit_name: str, output_names: tuple[str, ...],
            period_text: str | None, params: tuple[str, ...], sheet: str | None, fmt: str) -> None:
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
    compiled, results = _score(policy, ledgers, year, params, compiled, sheet)
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


def _score(policy: str, ledgers, year, params, compiled=None, sheet=None):
    """Compile (unless given), apply --param, read and score the ledgers; stop with a message on failure."""
    from govrule.runtime.ledger import LedgerError
    from govrule.runtime.run import evaluate_ledger

    from .progress import ledger_progress

    compiled = compiled or _compiled(policy)
    overrides = _parameters(params, compiled.plan)
    period = compiled.plan.policy.period
    if year is not None and period.year_named and int(period.start[:4]) != year:
        click.echo(f"注意：政策写明的考核期是 {period.start} 至 {period.end}，按 --period 改为 {year} 年", err=True)
    try:
        with ledger_progress(ledgers) as progress:
            return compiled, evaluate_ledger(compiled.plan, ledgers, year, overrides, sheet, progress)
    except LedgerError as error:
        click.echo(f"错误：{error}", err=True)
        sys.exit(EXIT_ERRORS)


def _compiled(policy: str):
    """The compiled policy (from the plan cache when unchanged); one with errors is shown and stops the command."""
    from govrule.compiler.cache import compile_cached

    compiled = compile_cached(policy)
    if not compiled.ok:
        _print_diagnostics(compiled.diagnostics.sorted(), compiled.source, err=True)
        click.echo(f"{policy}：政策有错误，无法打分（先运行 govrule check）", err=True)
        sys.exit(EXIT_ERRORS)
    return compiled


def _report_rows(results, limit: int = 30) -> None:
    """Notices and rejections on stderr (the first `limit` of each; files list all), then the counts."""
    for kind, entries, more in (("注意", results.notices, "--format json 或 xlsx 列出全部"),
                                ("拒绝", results.rejected, "--rejected 文件 导出全部")):
        for entry in entries[:limit]:
            click.echo(f"{kind}：{entry}", err=True)
        if len(entries) > limit:
            click.echo(f"{kind}：……另有 {len(entries) - limit} 条；{more}", err=True)
    click.echo(f"台账：计分 {results.rows_counted} 行，未匹配 {len(results.unmatched_at)} 行，"
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

    lines = source.replace("\r\n", "\n").split("\n") if source else []   # as the parser counts: only at \n
    for diagnostic in diagnostics:
        click.echo(render_diagnostic(diagnostic, lines), err=err)


def _json(results, compiled, traces=None) -> dict:
    from .render import json_value

    data = {
        "policy": results.title,
        "period": {"from": results.period.start.isoformat(), "to": results.period.end.isoformat()},
        "units": [{"unit": u.unit, "group": u.group, "results": {k: json_value(v) for k, v in u.results.items()}}
                  for u in results.units],
        "rows": {"counted": results.rows_counted, "unmatched": len(results.unmatched_at),
                 "rejected": len(results.rejected)},
        "diagnostics": [d.to_json() for d in compiled.diagnostics.sorted()],
        "notices": list(results.notices),
        "unmatched": _unmatched_json(results),
        "rejected": [{"file": j.file, "row": j.row, "column": j.column, "reason": j.reason,
                      "suggestion": j.suggestion} for j in results.rejected],
    }
    if traces is not None:
        from .trace_view import trace_json

        for entry in data["units"]:
            entry["trace"] = [trace_json(n) for n in traces[entry["unit"]]]
    return data


def _unmatched_json(results) -> list[dict]:
    """Where each unmatched row is and what it is, read from the ledger's columns: a big ledger
    may leave hundreds of thousands of rows unmatched, and these cells need no Row objects."""
    rows, at = results.rows, results.unmatched_at
    return [{"file": file, "row": number, "unit": shape.unit, "event": shape.event}
            for file, number, shape in zip(rows.files_at(at), rows.numbers.at(at), map(rows.shapes.__getitem__, at))]


def _table(results, plan) -> str:
    """One ranked table per group, in the policy's group order."""
    from .render import table, text_value
    from .report import group_sheets

    parts = [f"{results.title}（{results.period.start} 至 {results.period.end}）"]
    for sheet in group_sheets(results, plan):
        parts.append(f"\n【{sheet.title}】{len(sheet.rows)}个单位")
        parts.append(table(sheet.headers, [[text_value(v) for v in row] for row in sheet.rows]))
    return "\n".join(parts)


def run() -> None:
    """The `govrule` program: the commands, then an exit that leaves the memory to the system.
    Freeing a million-row ledger object by object takes a tenth of a second and helps no one.
    The garbage collector stays off: a run's objects live until that exit, and a collection
    after scoring would walk millions of them to free nothing; and what the run no longer needs is
    left to that exit too (runtime.leaving)."""
    from govrule.runtime.leaving import leaving_at_exit

    gc.disable()
    leaving_at_exit()
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
        if isinstance(done.code, str):
            click.echo(done.code, err=True)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):       # a closed pipe (govrule … | head) or stream
            code = code or EXIT_ERRORS
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
