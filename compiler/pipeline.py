"""The compiler's public entry: policy text -> plan and diagnostics, pass by pass."""
from __future__ import annotations

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
    from .build import build
    from .graph import dependency_graph
    from .lower import lower
    from .parse import parse
    from .resolve import resolve

    diagnostics = Diagnostics()
    tree = parse(source, file, diagnostics)
    if tree is None:
        return Compiled(None, None, diagnostics, source)
    declarations = build(tree, diagnostics)
    policy = resolve(tree, declarations, diagnostics)
    graph = dependency_graph(policy, diagnostics)
    if diagnostics.has_errors:
        return Compiled(policy, None, diagnostics, source)
    return Compiled(policy, lower(policy, graph), diagnostics, source)


def compile_file(path: str | Path) -> Compiled:
    """Compile a policy file; an unreadable file is a diagnostic, not an exception."""
    path = Path(path)
    try:
        source = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        diagnostics = Diagnostics()
        reason = "不是 UTF-8 编码" if isinstance(error, UnicodeDecodeError) else (error.strerror or str(error))
        diagnostics.add("GR003", Span(str(path), 1, 1, 1, 1), reason=reason)
        return Compiled(None, None, diagnostics, "")
    return compile_source(source, str(path))
