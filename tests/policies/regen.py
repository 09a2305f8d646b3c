"""Regenerate what `govrule check` is expected to print (run when messages change on purpose):

- tests/policies/bad/*.expected, beside each bad policy;
- the outputs shown after each 「错误例」 in docs/diagnostics.md.

Review the diff afterwards: every change should be one you meant.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BAD = Path(__file__).resolve().parent / "bad"
DOC = ROOT / "docs" / "diagnostics.md"

# An example policy, then the output of checking it saved as 政策.rule.
DOC_EXAMPLE = re.compile(r"(?P<head>^\*\*错误例[^\n]*\n+```text\n(?P<policy>.*?)```\n+"
                         r"`govrule check 政策\.rule` 的输出：\n+```text\n)(?P<output>.*?)(?P<tail>```)",
                         re.MULTILINE | re.DOTALL)


def check(relative: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "govrule.cli.main", "check", relative],
                          capture_output=True, text=True, cwd=cwd)


def doc_output(policy: str) -> str:
    """What `govrule check 政策.rule` prints for a policy text from the documentation."""
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "政策.rule").write_text(policy, encoding="utf-8")
        return check("政策.rule", Path(folder)).stdout


def regenerate_doc() -> bool:
    text = DOC.read_text(encoding="utf-8")
    new = DOC_EXAMPLE.sub(lambda m: m.group("head") + doc_output(m.group("policy")) + m.group("tail"), text)
    DOC.write_text(new, encoding="utf-8", newline="\n")
    return new != text


def main(argv: list[str]) -> int:
    """Rewrite the .expected file of every bad policy (or only of the stems given), then the doc."""
    stems = set(argv)
    for policy in sorted(BAD.glob("*.rule")):
        if stems and policy.stem not in stems:
            continue
        relative = policy.relative_to(ROOT).as_posix()
        done = check(relative, ROOT)
        if "Traceback" in done.stderr:
            print(f"{relative}: govrule check crashed\n{done.stderr}", file=sys.stderr)
            return 1
        expected = policy.with_suffix(".expected")
        changed = not expected.exists() or expected.read_text(encoding="utf-8") != done.stdout
        expected.write_text(done.stdout, encoding="utf-8", newline="\n")
        print(f"{'updated' if changed else 'same   '} {expected.relative_to(ROOT).as_posix()}")
    if not stems:
        print(f"{'updated' if regenerate_doc() else 'same   '} {DOC.relative_to(ROOT).as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
