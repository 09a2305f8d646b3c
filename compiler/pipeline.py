"""The compiler's public entry: policy text -> plan and diagnostics, pass by pass."""
from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostics
from .ir import Policy
from .lower import Plan
from .span import Span


@dataclass
class Compiled:
    policy: Policy | None
    plan: Plan | None
    diagnostics: Diagnostics
    source: str

    @property
    def ok(self) -> bool:
        return self.plan is not None and not self.diagnostics.has_errors


def compile_source(source: str, file: str = "<政策>") -> Compiled:
    """Compile policy text. The plan is None when an error stops compilation."""
    from .silence import silence

    diagnostics = Diagnostics()
    policy, plan = _passes(source, file, diagnostics)
    silence(source, file, diagnostics)
    return Compiled(policy, plan, diagnostics, source)


def _passes(source: str, file: str, diagnostics: Diagnostics) -> tuple[Policy | None, Plan | None]:
    """Run the passes in order; each later pass needs what the earlier ones built."""
    from .build import build
    from .graph import dependency_graph
    from .lint import lint
    from .lower import lower
    from .parse import parse
    from .resolve import resolve

    tree = parse(source, file, diagnostics)
    if tree is None:
        return None, None
    declarations = build(tree, diagnostics)
    policy = resolve(tree, declarations, diagnostics)
    if not diagnostics.has_errors:      # a rule left out by an error would look like one with no effect
        lint(policy, diagnostics)
    graph = dependency_graph(policy, diagnostics)
    if diagnostics.has_errors:
        return policy, None
    return policy, lower(policy, graph)


def compile_file(path: str | Path) -> Compiled:
    """Compile a policy file; an unreadable file is a diagnostic, not an exception."""
    path = Path(path)
    try:
        source = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        diagnostics = Diagnostics()
        reason, hint = _unreadable(error)
        diagnostics.add("GR003", Span(str(path), 1, 1, 1, 1), reason=reason, hint=hint)
        return Compiled(None, None, diagnostics, "")
    return compile_source(source, str(path))


# errno -> why, in the drafter's words; the operating system's own text is English.
_OS_REASONS = {
    errno.ENOENT: ("文件不存在", "核对文件名和所在的文件夹"),
    errno.EACCES: ("没有读取权限", "换一个有权限的账号，或请管理员开放读取权限"),
    errno.EPERM: ("没有读取权限", "换一个有权限的账号，或请管理员开放读取权限"),
    errno.EISDIR: ("这是一个文件夹，不是文件", "写出文件夹里政策文件的名字，例如「政策/义马.rule」"),
    errno.ENOTDIR: ("路径中有一段不是文件夹", "核对路径"),
    errno.ENAMETOOLONG: ("文件名太长", "把文件改成短一些的名字"),
}


def _unreadable(error: Exception) -> tuple[str, str | None]:
    if isinstance(error, UnicodeDecodeError):
        return "不是 UTF-8 编码", "用「另存为」选择 UTF-8 编码重新保存"
    known = _OS_REASONS.get(getattr(error, "errno", None))
    if known:
        return known
    return f"系统报告错误（错误号 {getattr(error, 'errno', '?')}）", None
