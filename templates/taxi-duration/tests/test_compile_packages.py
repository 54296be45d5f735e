"""The image build's byte compiler: the files compileall compiles, and no others."""

from __future__ import annotations

import compileall
import importlib.util
import os
import re
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "docker" / "compile_packages.py"
TAG = sys.implementation.cache_tag


@pytest.fixture(scope="module")
def compiler():
    """The script, imported as a module (registered, so its workers can find its function)."""
    spec = importlib.util.spec_from_file_location("compile_packages", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def site(root: Path) -> Path:
    """A small site-packages: packages, a test suite, a folder to skip, a file that is not Python 3."""
    files = {
        "pkg/__init__.py": "VALUE = 1\n",
        "pkg/sub/mod.py": "def f():\n    return 2\n",
        "pkg/tests/test_mod.py": "def test():\n    assert True\n",
        "plotly/validators/bar.py": "X = 3\n",
        "plotly/graph.py": "Y = 4\n",
        "tmpl/py2.py": "print 'not python 3'\n",
        "data/readme.txt": "not python\n",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def compiled(root: Path) -> set[str]:
    """The sources under root that have byte code, relative to root."""
    out = set()
    for pyc in root.rglob(f"*.{TAG}.pyc"):
        source = pyc.parent.parent / (pyc.name.split(".")[0] + ".py")
        out.add(source.relative_to(root).as_posix())
    return out


def test_same_files_as_compileall(compiler, tmp_path):
    ours = site(tmp_path / "ours")
    theirs = site(tmp_path / "theirs")

    assert compiler.main([str(ours), "--skip", "/plotly/validators/"]) == 0
    compileall.compile_dir(str(theirs), quiet=2, rx=re.compile("/plotly/validators/"), workers=0)

    want = {"pkg/__init__.py", "pkg/sub/mod.py", "pkg/tests/test_mod.py", "plotly/graph.py"}
    assert compiled(ours) == want
    assert compiled(theirs) == want


def test_counts_failures_without_failing(compiler, tmp_path):
    root = site(tmp_path)
    total, failed = compiler.compile_all(str(root), ["/plotly/validators/"], workers=2)
    assert (total, failed) == (5, 1)


def test_up_to_date_byte_code_is_kept_and_stale_is_redone(compiler, tmp_path):
    root = site(tmp_path)
    compiler.compile_all(str(root), [], workers=1)
    kept = root / "pkg" / "__pycache__" / f"__init__.{TAG}.pyc"
    redone = root / "pkg" / "sub" / "__pycache__" / f"mod.{TAG}.pyc"
    before = {p: p.stat().st_mtime_ns for p in (kept, redone)}

    source = root / "pkg" / "sub" / "mod.py"
    source.write_text("def f():\n    return 20\n")
    later = time.time() + 5
    os.utime(source, (later, later))
    time.sleep(0.01)
    compiler.compile_all(str(root), [], workers=1)

    assert kept.stat().st_mtime_ns == before[kept]
    assert redone.stat().st_mtime_ns != before[redone]
    spec = importlib.util.spec_from_file_location("mod", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.f() == 20


def test_missing_folder_is_named(compiler, tmp_path, capsys):
    assert compiler.main([str(tmp_path / "nope")]) == 2
    assert "nope: not a folder" in capsys.readouterr().err
