"""Regenerate tests/policies/bad/*.expected from `govrule check` (run when messages change on purpose)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BAD = Path(__file__).resolve().parent / "bad"


def main(argv: list[str]) -> int:
    """Rewrite the .expected file of every bad policy, or only of the stems given on the command line."""
    stems = set(argv)
    for policy in sorted(BAD.glob("*.rule")):
        if stems and policy.stem not in stems:
            continue
        relative = policy.relative_to(ROOT).as_posix()
        done = subprocess.run([sys.executable, "-m", "govrule.cli.main", "check", relative],
                              capture_output=True, text=True, cwd=ROOT)
        if "Traceback" in done.stderr:
            print(f"{relative}: govrule check crashed\n{done.stderr}", file=sys.stderr)
            return 1
        expected = policy.with_suffix(".expected")
        changed = not expected.exists() or expected.read_text(encoding="utf-8") != done.stdout
        expected.write_text(done.stdout, encoding="utf-8", newline="\n")
        print(f"{'updated' if changed else 'same   '} {expected.relative_to(ROOT).as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
