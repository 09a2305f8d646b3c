"""The plan cache: a policy that compiled cleanly before is loaded, not compiled, and the result is the same."""
from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import DATA, POLICIES, ROOT, SEED_POLICIES, results_by_unit
from govrule.compiler import cache, pipeline

FENGQIU = POLICIES / "fengqiu.rule"
compile_file = pipeline.compile_file     # the compiler itself, uncounted


@pytest.fixture(autouse=True)
def cache_folder(monkeypatch, tmp_path):
    """Each test gets an empty cache of its own, and the real compiler's fingerprint."""
    monkeypatch.delenv("GOVRULE_NO_CACHE", raising=False)
    folder = tmp_path / "cache"
    monkeypatch.setenv("GOVRULE_CACHE_DIR", str(folder))
    fingerprint = cache.code_fingerprint     # a test may replace it
    fingerprint.cache_clear()
    yield folder
    fingerprint.cache_clear()


@pytest.fixture
def compiles(monkeypatch):
    """The number of times the compiler really ran."""
    calls = []

    def counted(path):
        calls.append(path)
        return compile_file(path)

    monkeypatch.setattr(pipeline, "compile_file", counted)
    return calls


def plans(folder):
    return sorted(p.name for p in (folder / "plans").iterdir()) if (folder / "plans").exists() else []


def same(a, b) -> bool:
    """Diagnostics compare by identity, so compare what they hold."""
    return (a.policy == b.policy and a.plan == b.plan and a.source == b.source
            and a.diagnostics.items == b.diagnostics.items and a.diagnostics.silenced == b.diagnostics.silenced)


def copy_policy(tmp_path, name="fengqiu"):
    path = tmp_path / "policy.rule"
    shutil.copyfile(POLICIES / SEED_POLICIES[name], path)
    return path


@pytest.mark.parametrize("name", sorted(SEED_POLICIES))
def test_the_second_compile_is_loaded_and_the_same(name, compiles, cache_folder):
    path = POLICIES / SEED_POLICIES[name]
    first = cache.compile_cached(path)
    second = cache.compile_cached(path)
    assert len(compiles) == 1
    assert first.ok and second is not first
    assert same(second, first) and same(second, compile_file(path))
    assert len(plans(cache_folder)) == 1 and plans(cache_folder)[0].endswith(".pickle")


def test_a_loaded_plan_scores_as_a_compiled_one(compiles):
    from govrule.runtime.run import evaluate_ledger

    compiled = cache.compile_cached(FENGQIU)
    loaded = cache.compile_cached(FENGQIU)
    assert len(compiles) == 1
    ledger = [DATA / "fengqiu" / "ledger.csv"]
    fresh, cached = evaluate_ledger(compiled.plan, ledger), evaluate_ledger(loaded.plan, ledger)
    assert results_by_unit(cached) == results_by_unit(fresh)
    assert (len(cached.counted), len(cached.unmatched), len(cached.rejected)) == \
           (len(fresh.counted), len(fresh.unmatched), len(fresh.rejected))


def test_an_edited_policy_is_compiled_again(tmp_path, compiles, cache_folder):
    path = copy_policy(tmp_path)
    cache.compile_cached(path)
    text = path.read_text(encoding="utf-8").replace("目标200分", "目标210分")
    path.write_text(text, encoding="utf-8")
    edited = cache.compile_cached(path)
    assert len(compiles) == 2 and len(plans(cache_folder)) == 2
    assert edited.ok and edited.source == text
    assert same(cache.compile_cached(path), edited) and len(compiles) == 2


def test_the_path_as_given_is_part_of_the_key(tmp_path, monkeypatch, compiles):
    """Diagnostics cite the path as it was given, so another spelling of it compiles again."""
    path = copy_policy(tmp_path)
    monkeypatch.chdir(tmp_path)
    relative = cache.compile_cached("policy.rule")
    absolute = cache.compile_cached(path)
    assert len(compiles) == 2
    assert same(relative, compile_file("policy.rule")) and same(absolute, compile_file(path))


def test_a_policy_with_errors_is_not_cached(tmp_path, compiles, cache_folder):
    path = tmp_path / "broken.rule"
    path.write_text("这不是一份政策\n【级别】\n", encoding="utf-8")
    first = cache.compile_cached(path)
    assert not first.ok and first.diagnostics.has_errors
    cache.compile_cached(path)
    assert len(compiles) == 2 and plans(cache_folder) == []


def test_an_unreadable_policy_is_reported_as_compile_file_does(tmp_path, cache_folder):
    missing = cache.compile_cached(tmp_path / "missing.rule")
    assert [d.code for d in missing.diagnostics.sorted()] == ["GR003"]
    latin = tmp_path / "latin.rule"
    latin.write_bytes("标题".encode("gbk"))
    assert [d.code for d in cache.compile_cached(latin).diagnostics.sorted()] == ["GR003"]
    assert plans(cache_folder) == []


def test_a_corrupt_cache_file_is_ignored_and_replaced(compiles, cache_folder):
    cache.compile_cached(FENGQIU)
    [name] = plans(cache_folder)
    entry = cache_folder / "plans" / name
    for junk in (b"not a pickle", pickle.dumps({"plan": None}), entry.read_bytes()[:1000]):
        entry.write_bytes(junk)
        compiled = cache.compile_cached(FENGQIU)
        assert compiled.ok and same(compiled, compile_file(FENGQIU))
        assert same(pickle.loads(entry.read_bytes()), compiled)
    assert len(compiles) == 4 and plans(cache_folder) == [name]


@pytest.mark.parametrize("loosened", ["file", "folder"])
def test_a_plan_others_could_write_is_not_loaded(loosened, compiles, cache_folder):
    """Unpickling runs what the file says: a file or folder other users can write is not trusted."""
    cache.compile_cached(FENGQIU)
    [name] = plans(cache_folder)
    assert not (cache_folder / "plans").stat().st_mode & 0o077        # made for this user alone
    target = cache_folder / "plans" / (name if loosened == "file" else "")
    target.chmod(target.stat().st_mode | 0o022)
    assert cache.compile_cached(FENGQIU).ok
    assert len(compiles) == 2


def test_a_cached_plan_for_other_text_is_not_used(tmp_path, compiles, cache_folder):
    """A file under the right key but holding another policy's plan is compiled over."""
    cache.compile_cached(FENGQIU)
    [name] = plans(cache_folder)
    entry = cache_folder / "plans" / name
    entry.write_bytes(pickle.dumps(compile_file(POLICIES / SEED_POLICIES["yima"])))
    assert same(cache.compile_cached(FENGQIU), compile_file(FENGQIU))
    assert len(compiles) == 2


def test_an_unwritable_cache_still_compiles(tmp_path, monkeypatch, compiles):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("GOVRULE_CACHE_DIR", str(blocker))
    for _ in range(2):
        assert same(cache.compile_cached(FENGQIU), compile_file(FENGQIU))
    assert len(compiles) == 2 and blocker.read_text() == "not a folder"


def test_a_failed_write_leaves_no_temporary_file(monkeypatch, compiles, cache_folder):
    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache.pickle, "dump", fail)
    assert cache.compile_cached(FENGQIU).ok
    assert (cache_folder / "plans").is_dir() and plans(cache_folder) == []


def test_a_policy_changed_while_compiling_is_not_cached(tmp_path, monkeypatch, cache_folder):
    path = copy_policy(tmp_path)
    def edit_then_compile(p):
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        return compile_file(p)

    monkeypatch.setattr(pipeline, "compile_file", edit_then_compile)
    assert cache.compile_cached(path).ok
    assert plans(cache_folder) == []


@pytest.mark.parametrize("variable, value", [("GOVRULE_NO_CACHE", "1"), ("GOVRULE_CACHE_DIR", "")])
def test_caching_can_be_turned_off(variable, value, monkeypatch, compiles, cache_folder):
    monkeypatch.setenv(variable, value)
    for _ in range(2):
        assert cache.compile_cached(FENGQIU).ok
    assert len(compiles) == 2 and not cache_folder.exists()


def test_the_default_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("GOVRULE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "govrule"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "govrule"
    monkeypatch.setenv("GOVRULE_NO_CACHE", "1")
    assert cache.cache_dir() is None


def test_a_changed_compiler_compiles_again(monkeypatch, compiles, cache_folder):
    cache.compile_cached(FENGQIU)
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "another compiler")
    cache.compile_cached(FENGQIU)
    cache.compile_cached(FENGQIU)
    assert len(compiles) == 2 and len(plans(cache_folder)) == 2


def test_the_fingerprint_follows_the_compiler_sources_and_grammar(tmp_path, monkeypatch):
    compiler, grammar = tmp_path / "compiler", tmp_path / "grammar" / "govrule.lark"
    shutil.copytree(ROOT / "compiler", compiler, ignore=shutil.ignore_patterns("__pycache__"))
    grammar.parent.mkdir()
    shutil.copyfile(ROOT / "grammar" / "govrule.lark", grammar)
    monkeypatch.setattr(cache, "_COMPILER", compiler)
    monkeypatch.setattr(cache, "_GRAMMAR", grammar)

    def current():
        cache.code_fingerprint.cache_clear()
        return cache.code_fingerprint()

    seen = [current()]
    assert current() == seen[0]
    (compiler / "__pycache__").mkdir()
    (compiler / "notes.txt").write_text("not code")
    assert current() == seen[0]
    for change in (lambda: (compiler / "lower.py").write_text((compiler / "lower.py").read_text() + "\n# changed\n"),
                   lambda: (compiler / "extra.py").write_text(""),
                   lambda: grammar.write_text(grammar.read_text() + "\n")):
        change()
        seen.append(current())
    assert len(set(seen)) == 4


def test_the_fingerprint_is_of_the_installed_compiler():
    files = sorted((ROOT / "compiler").glob("*.py")) + [ROOT / "grammar" / "govrule.lark"]
    assert (ROOT / "compiler" / "cache.py") in files
    assert cache.code_fingerprint() == cache.fingerprint(files, cache._library_versions())
    assert all(f"{name}=" in cache._library_versions() for name in ("lark", "networkx", "zhconv"))


@given(st.binary(max_size=20), st.text(min_size=1, max_size=10), st.binary(max_size=20), st.text(min_size=1, max_size=10))
def test_keys_tell_policies_and_paths_apart(source_a, path_a, source_b, path_b):
    path_a, path_b = path_a.replace("\0", "_"), path_b.replace("\0", "_")
    a = cache.plan_key(source_a, path_a, "f")
    b = cache.plan_key(source_b, path_b, "f")
    assert (a == b) == (source_a == source_b and str(Path(path_a)) == str(Path(path_b)))
    assert cache.plan_key(source_a, path_a, "g") != a


def test_loading_imports_neither_lark_networkx_nor_zhconv(cache_folder):
    cold = ("import sys; from govrule.compiler.cache import compile_cached; had = 'pkg_resources' in sys.modules; "
            "c = compile_cached(sys.argv[1]); assert c.ok; "
            "assert 'zhconv' in sys.modules and (had or 'pkg_resources' not in sys.modules), 'pkg_resources'")
    warm = ("import sys; from govrule.compiler.cache import compile_cached; c = compile_cached(sys.argv[1]); assert c.ok; "
            "print(' '.join(m for m in ('lark', 'networkx', 'zhconv', 'govrule.compiler.parse') if m in sys.modules))")
    env = {**os.environ, "GOVRULE_CACHE_DIR": str(cache_folder)}
    for code in (cold, warm):
        done = subprocess.run([sys.executable, "-c", code, str(FENGQIU)], capture_output=True, text=True, env=env, cwd=ROOT)
        assert done.returncode == 0, done.stderr
    assert len(plans(cache_folder)) == 1
    assert done.stdout.strip() == ""


def edited(tmp_path, n: int) -> Path:
    """A copy of the 封丘 policy with a comment of its own: another plan."""
    policy = tmp_path / f"p{n}.rule"
    policy.write_text(FENGQIU.read_text(encoding="utf-8") + f"\n# 第{n}次修改\n", encoding="utf-8")
    return policy


def age_plans(folder: Path) -> None:
    """Every plan stored so far used long ago, the first stored the longest (as mtimes say)."""
    for n, plan in enumerate(sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns)):
        os.utime(plan, (1000 + n, 1000 + n))


def test_the_cache_keeps_the_plans_used_last(tmp_path, monkeypatch, compiles, cache_folder):
    """Every edit of a policy stores a plan; beyond cache.KEEP, the ones used longest ago go."""
    monkeypatch.setattr(cache, "KEEP", 3)
    plans = cache_folder / "plans"
    names = []
    for n in range(5):
        before = {p.name for p in plans.glob("*.pickle")}
        assert cache.compile_cached(edited(tmp_path, n)).ok
        names += {p.name for p in plans.glob("*.pickle")} - before
        age_plans(plans)
    assert len(compiles) == 5
    assert {p.name for p in plans.glob("*.pickle")} == set(names[2:])


def test_a_loaded_plan_counts_as_used(tmp_path, monkeypatch, compiles, cache_folder):
    monkeypatch.setattr(cache, "KEEP", 2)
    policies = [edited(tmp_path, n) for n in range(3)]
    plans = cache_folder / "plans"
    for policy in policies[:2]:
        cache.compile_cached(policy)
        age_plans(plans)
    cache.compile_cached(policies[0])           # loaded: now the one used last
    assert len(compiles) == 2
    cache.compile_cached(policies[2])           # stored: p1 is the one used longest ago, and goes
    assert len(compiles) == 3
    cache.compile_cached(policies[0])
    assert len(compiles) == 3                   # p0 was kept
    cache.compile_cached(policies[1])
    assert len(compiles) == 4                   # p1 compiles again
