"""A broken policy gets a Chinese diagnostic with line:column, a caret and a suggestion."""
from __future__ import annotations

import json

from conftest import codes, compile_text, run_cli

POLICY = """标题：测试政策
考核期：2020年
【级别】
省：河南省
【刊物】
政府工作快报：省
【形式】专期
【单位组】
甲组，目标10分：甲局、乙局
【计分：信息分】
{clause}
同一信息被多个刊物采用的，累计计分
【结果】
积分：信息分
{extra}"""


def policy(clause="被省政府工作快报采用 计20分", extra=""):
    return POLICY.format(clause=clause, extra=extra)


def test_misspelled_publication_gets_line_column_and_suggestion(tmp_path):
    path = tmp_path / "bad.rule"
    path.write_text(policy("被省《政府工做快报》以专期形式采用的，每条计20分"), encoding="utf-8")
    done = run_cli("check", str(path))
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert f"{path}:11:3: 错误 GR101" in done.stdout
    assert "「政府工做快报」不是已声明的刊物" in done.stdout
    assert "是否指「政府工作快报」？" in done.stdout
    caret_line = done.stdout.splitlines()[2]
    source_line = done.stdout.splitlines()[1]
    # the caret sits under 《政府工做快报》: two display columns per Chinese character
    assert caret_line.index("^") == source_line.index("被") + 4
    assert caret_line.count("^") == len("《政府工做快报》") * 2


def test_misspelled_publication_without_brackets_is_found_too():
    compiled = compile_text(policy("被省政府工做快报专期采用 计20分"))
    assert codes(compiled) == ["GR101"]
    diagnostic = compiled.diagnostics.items[0]
    assert diagnostic.span.line == 11
    assert diagnostic.hint == "是否指「政府工作快报」？"


def test_check_json_output_for_editors(tmp_path):
    path = tmp_path / "bad.rule"
    path.write_text(policy("被省政府工做快报专期采用 计20分"), encoding="utf-8")
    data = json.loads(run_cli("check", str(path), "--format", "json").stdout)
    [finding] = data["diagnostics"]
    assert finding["code"] == "GR101" and finding["severity"] == "error"
    assert finding["line"] == 11 and finding["column"] >= 1
    assert finding["hint"] == "是否指「政府工作快报」？"


def test_missing_fen_is_a_named_mistake():
    compiled = compile_text(policy("被省政府工作快报采用 计20"))
    [diagnostic] = compiled.diagnostics.items
    assert diagnostic.code in ("GR001", "GR002")
    assert diagnostic.span.line == 11
    assert "分" in diagnostic.hint


def test_clause_without_points_is_reported():
    compiled = compile_text(policy("被省政府工作快报采用"))
    [diagnostic] = compiled.diagnostics.items
    assert diagnostic.span.line == 11
    assert "分值" in diagnostic.hint or "分" in diagnostic.hint


def test_unknown_output_reference_suggests_the_right_name():
    compiled = compile_text(policy(extra="完成率：积份 ÷ 本组目标\n"))
    assert codes(compiled) == ["GR102"]
    assert compiled.diagnostics.items[0].hint == "是否指「积分」？"


def test_unknown_group_number():
    compiled = compile_text(policy(extra="完成率：积分 ÷ 本组目的\n"))
    assert codes(compiled) == ["GR103"]
    assert compiled.diagnostics.items[0].hint == "是否指「目标」？"


def test_a_cycle_is_reported_with_every_member():
    compiled = compile_text(policy(extra="甲：乙 + 1\n乙：丙 + 1\n丙：甲 + 1\n"))
    [diagnostic] = [d for d in compiled.diagnostics.items if d.code == "GR401"]
    lines = {diagnostic.span.line, *(s.line for s in diagnostic.related)}
    assert lines == {15, 16, 17}
    assert compiled.plan is None


def test_a_unit_in_two_groups_and_a_wrong_count_are_warnings():
    text = policy().replace("甲组，目标10分：甲局、乙局", "甲组（共3个单位），目标10分：甲局、乙局\n乙组，目标5分：乙局")
    compiled = compile_text(text)
    assert sorted(codes(compiled)) == ["GR201", "GR202"]
    assert compiled.ok


def test_unreadable_policy_file_is_a_diagnostic_not_a_traceback(tmp_path):
    done = run_cli("check", str(tmp_path / "missing.rule"))
    assert done.returncode == 1
    assert "GR003" in done.stdout and "Traceback" not in done.stderr


def test_eval_refuses_a_broken_policy_with_its_diagnostics(tmp_path):
    path = tmp_path / "bad.rule"
    path.write_text(policy("被省政府工做快报专期采用 计20分"), encoding="utf-8")
    ledger = tmp_path / "l.csv"
    ledger.write_text("日期,单位,事项\n2020-01-01,甲局,报送\n", encoding="utf-8")
    done = run_cli("eval", str(path), str(ledger))
    assert done.returncode == 1
    assert "GR101" in done.stderr and "Traceback" not in done.stderr


def test_garbage_never_raises():
    for text in ["", "【", "】】】", "标题：", "【计分：x】\n计20分", "考核期：2020年2月30日至2020年3月1日",
                 "【结果】\n甲：（（1", "【单位组】\n甲：", "\x00\x01", "【计分：甲】\n被省采用 计999999999999999999999分"]:
        compiled = compile_text(text)
        for d in compiled.diagnostics.items:
            assert d.span.line >= 1 or d.code == "GR003"


def test_iso_period_at_line_end_and_the_long_keyword():
    for header in ("考核期：2020-01-01至2020-12-31", "考核期间：2020年", "考核期：2020/1/1—2020/12/31"):
        compiled = compile_text(policy().replace("考核期：2020年", header))
        assert compiled.ok, (header, [d.message for d in compiled.diagnostics.items])
        assert compiled.policy.period.start == "2020-01-01"


def test_spaces_inside_a_phrase_are_ignored():
    spaced = compile_text(policy("被 省 政府工作快报 专期 采用 计20分"))
    plain = compile_text(policy("被省政府工作快报专期采用 计20分"))
    assert spaced.ok and spaced.policy.blocks == plain.policy.blocks


def test_negation_only_applies_to_forms_categories_and_tags():
    compiled = compile_text(policy("被非省级刊物采用的，每条计1分"))
    assert codes(compiled) == ["GR006"]
    assert compiled.plan is None
    assert compile_text(policy("被省政府工作快报非专期采用的，每条计1分")).ok


def test_item_count_needs_a_score_block():
    compiled = compile_text(policy(extra="报送数：条数（报送）\n甲：信息数（报送数）\n"))
    assert codes(compiled) == ["GR105"]
    assert compiled.diagnostics.items[0].hint == "可统计的计分项：信息分"


def test_only_once_in_the_documents_own_words():
    for wording in ("同一信息重复采用的，只记一次", "同一信息重复采用的，只計一次"):
        compiled = compile_text(policy().replace("同一信息被多个刊物采用的，累计计分", wording))
        assert compiled.ok and compiled.policy.blocks[0].item_mode == "once"


def test_built_in_events_cannot_be_redeclared():
    compiled = compile_text(policy().replace("【形式】专期", "【形式】专期\n【事项】采用（数量为周数）"))
    assert codes(compiled) == ["GR104"]


def test_years_outside_any_assessment_are_diagnostics():
    for header in ("考核期：0000年", "考核期：自然年（默认9999年）", "考核期：0001-01-01至2020-12-31"):
        compiled = compile_text(policy().replace("考核期：2020年", header))
        assert codes(compiled) == ["GR005"], header


def test_a_level_the_publication_does_not_have_is_reported():
    compiled = compile_text(policy("被县《政府工作快报》采用的，每条计20分"))
    assert codes(compiled) == ["GR307"]
    diagnostic = compiled.diagnostics.items[0]
    assert "省级" in diagnostic.message and "县级" in diagnostic.message
    assert diagnostic.span.line == 11
    assert codes(compile_text(policy("被省级以上《政府工作快报》采用的，每条计20分"))) == []


def test_a_publication_on_a_submission_clause_is_reported():
    compiled = compile_text(policy("报送《政府工作快报》的信息，每条计1分"))
    # and so the declared publication is scored by no rule at all (GR213)
    assert sorted(codes(compiled)) == ["GR213", "GR308"]
    assert "报送" in next(d for d in compiled.diagnostics.items if d.code == "GR308").message


def test_a_reversed_assessment_period_is_an_error_that_says_so():
    compiled = compile_text(policy().replace("考核期：2020年", "考核期：2020年12月31日至2020年1月1日"))
    assert codes(compiled) == ["GR210"]
    [diagnostic] = compiled.diagnostics.items
    assert diagnostic.message == "考核期的开始日期2020-12-31晚于结束日期2020-01-01"
    assert "写反" in diagnostic.hint and "2020-01-01 至 2020-12-31" in diagnostic.hint


def test_a_sub_unit_rule_other_than_counting_for_the_parent_is_an_error():
    ok = policy().replace("【级别】", "二级机构报送的信息计入本单位\n【级别】")
    assert codes(compile_text(ok)) == []
    negated = policy().replace("【级别】", "二级机构报送的信息不计入本单位\n【级别】")
    assert codes(compile_text(negated)) == ["GR008"]


def test_period_override_of_a_named_year_is_noticed(tmp_path):
    from conftest import write_ledger

    path = tmp_path / "p.rule"
    path.write_text(policy(), encoding="utf-8")
    ledger = write_ledger(tmp_path / "l.csv", [{"日期": "2021-03-01", "单位": "甲局", "事项": "报送", "信息编号": "A"}])
    done = run_cli("eval", str(path), str(ledger), "--period", "2021")
    assert done.returncode == 0, done.stderr
    assert "政策写明的考核期是 2020-01-01 至 2020-12-31" in done.stderr
    same = run_cli("eval", str(path), str(ledger), "--period", "2020", "--allow-rejected")
    assert "政策写明的考核期" not in same.stderr


def test_a_misspelled_publication_without_brackets_is_named_whole():
    compiled = compile_text(policy("被省政府工做快报专期采用 计20分"))
    [diagnostic] = compiled.diagnostics.items
    assert diagnostic.message == "「政府工做快报」不是已声明的刊物"
    line = policy("被省政府工做快报专期采用 计20分").split("\n")[10]
    assert line[diagnostic.span.column - 1:diagnostic.span.end_column - 1] == "政府工做快报"


def test_unreadable_files_are_explained_in_chinese(tmp_path):
    import errno

    from govrule.compiler.pipeline import _unreadable, compile_file

    [missing] = compile_file(tmp_path / "missing.rule").diagnostics.items
    assert missing.message == "无法读取政策文件：文件不存在"
    [folder] = compile_file(tmp_path).diagnostics.items
    assert folder.message == "无法读取政策文件：这是一个文件夹，不是文件"
    assert _unreadable(PermissionError(errno.EACCES, "Permission denied"))[0] == "没有读取权限"
    reason, _ = _unreadable(OSError(errno.EIO, "Input/output error"))
    assert reason.isascii() is False and "Input/output" not in reason


def test_a_unit_value_hint_never_suggests_a_unit_already_on_the_line():
    text = policy().replace("【计分：信息分】", "【单位数值：基础分】\n甲局、丙局：100分\n【计分：信息分】")
    [diagnostic] = compile_text(text).diagnostics.items
    assert diagnostic.code == "GR101" and diagnostic.hint == "是否指「乙局」？"
    both = policy().replace("【计分：信息分】", "【单位数值：基础分】\n甲局、乙局、丙局：100分\n【计分：信息分】")
    [diagnostic] = compile_text(both).diagnostics.items
    assert diagnostic.hint == "先在【单位组】里列出这个单位"


def test_an_unreadable_combination_line_is_not_also_reported_missing():
    text = policy().replace("同一信息被多个刊物采用的，累计计分", "同一信息被多个刊物采用的，按文件规定计分")
    compiled = compile_text(text)
    assert codes(compiled) == ["GR304"]
    assert "只記一次" not in compiled.diagnostics.items[0].message        # each spelling once, simplified
    assert compiled.diagnostics.items[0].hint


def test_rank_function_and_tie_mistakes_have_hints():
    rank = policy().replace("【结果】", "【名次分：名次得分】\n甲组：第1至2名依次10至5分\n【结果】")
    [diagnostic] = compile_text(rank).diagnostics.items
    assert diagnostic.code == "GR007" and "名次数要与分值档数相同" in diagnostic.hint
    call = compile_text(policy(extra="计入：最大（积分）\n"))
    [diagnostic] = call.diagnostics.items
    assert diagnostic.code == "GR108" and diagnostic.hint == "写法如「最大（甲，乙）」"
    tie = compile_text(policy(extra="先进：评选（积分，本组，名额：1，并列的看情况）\n"))
    [diagnostic] = tie.diagnostics.items
    assert diagnostic.code == "GR306" and "都入选" in diagnostic.hint
    source = policy(extra="先进：评选（积分，本组，名额：1，并列的看情况）\n").split("\n")[diagnostic.span.line - 1]
    assert source[diagnostic.span.column - 1:diagnostic.span.end_column - 1] == "并列的看情况"


def test_filtering_by_select_and_ignore():
    from govrule.compiler.diagnostics import unknown_prefixes

    text = policy().replace("甲组，目标10分：甲局、乙局", "甲组（共3个单位），目标10分：甲局、乙局\n乙组，目标5分：乙局")
    found = compile_text(text).diagnostics
    assert [d.code for d in found.filtered()] == ["GR202", "GR201"]
    assert [d.code for d in found.filtered(select=["gr20"])] == ["GR202", "GR201"]
    assert [d.code for d in found.filtered(select=["GR2"], ignore=["GR201"])] == ["GR202"]
    assert [d.code for d in found.filtered(select=["GR201"], ignore=["GR2"])] == ["GR201"]
    assert [d.code for d in found.filtered(ignore=["GR20"])] == []
    assert [d.code for d in found.filtered(select=["GR3"])] == []
    assert unknown_prefixes(["GR2", "GR999", "XY"]) == ["GR999", "XY"]


def test_an_undeclared_word_beside_a_declared_name_is_not_called_a_misspelling():
    text = policy("被省快报讯采用 计20分").replace("政府工作快报：省", "政府工作快报：省\n快报：省")
    [diagnostic] = compile_text(text).diagnostics.items
    assert diagnostic.message == "「讯」不是已声明的名称"          # not 「快报讯」, read as a misspelled 快报
    assert diagnostic.hint == "不是错字的话，先在【刊物】【形式】【类别】【标记】或【事项】里声明它"
