"""A comment `# 忽略 GR202` silences that warning on its own line, and only there."""
from __future__ import annotations

from conftest import codes, compile_text, run_cli

POLICY = """标题：测试政策
考核期：2020年
【单位组】
甲组（共3个单位）：甲局、乙局{first}
乙组（共3个单位）：丙局、丁局{second}
【计分：报送分】
报送信息，每条计1分
【结果】
积分：报送分
"""


def policy(first="", second=""):
    return POLICY.format(first=first, second=second)


def test_without_comments_both_groups_are_reported():
    assert codes(compile_text(policy())) == ["GR202", "GR202"]


def test_a_comment_silences_the_code_on_its_line_only():
    compiled = compile_text(policy(first="  # 忽略 GR202：文件原文如此"))
    [left] = compiled.diagnostics.items
    assert left.code == "GR202" and left.span.line == 5
    [silenced] = compiled.diagnostics.silenced
    assert silenced.code == "GR202" and silenced.span.line == 4


def test_a_comment_naming_another_code_silences_nothing():
    assert codes(compile_text(policy(first="  # 忽略 GR203"))) == ["GR202", "GR202"]


def test_the_english_word_full_width_and_several_codes():
    for comment in ("  # ignore GR202", "  ＃ 忽略：ＧＲ２０２", "  # IGNORE gr203, gr202", "  # 忽略 GR203、GR202"):
        assert [d.span.line for d in compile_text(policy(first=comment)).diagnostics.items] == [5], comment


def test_a_comment_that_only_talks_about_ignoring_is_no_directive():
    compiled = compile_text(policy(first="  # 忽略这个差异，文件原文如此"))
    assert codes(compiled) == ["GR202", "GR202"]


def test_an_unknown_code_is_a_warning_at_the_code():
    line = "甲组（共3个单位）：甲局、乙局  # 忽略 GR220"
    compiled = compile_text(policy(first="  # 忽略 GR220"))
    [unknown] = [d for d in compiled.diagnostics.items if d.code == "GR009"]
    assert unknown.severity == "warning" and unknown.span.line == 4
    assert line[unknown.span.column - 1:unknown.span.end_column - 1] == "GR220"
    assert "不是诊断代码" in unknown.message
    assert codes(compiled) == ["GR202", "GR009", "GR202"]


def test_an_error_cannot_be_silenced():
    text = policy().replace("报送信息，每条计1分", "报送信息，每条计1分\n报送调研信息，每条计1分  # 忽略 GR101")
    compiled = compile_text(text)
    assert "GR101" in codes(compiled) and not compiled.ok
    [refused] = [d for d in compiled.diagnostics.items if d.code == "GR009"]
    assert "错误不能忽略" in refused.message


def test_a_silenced_warning_passes_strict(tmp_path):
    path = tmp_path / "p.rule"
    path.write_text(policy(first="  # 忽略 GR202", second="  # 忽略 GR202"), encoding="utf-8")
    done = run_cli("check", str(path), "--strict")
    assert done.returncode == 0, done.stdout
    assert done.stdout == f"{path}：没有发现问题\n"
