"""The layers hold: no import hides inside a function, and the import contracts are kept."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
REASON = "# import here:"


def _imports_in_functions(tree: ast.AST) -> list[ast.stmt]:
    found: list[ast.stmt] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if in_function and isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            visit(child, inside)

    visit(tree, False)
    return found


def function_level_imports(root: Path = APP) -> list[str]:
    """Every import inside a function (under `if` or `try` too) without a reason on its line."""
    hidden = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.relative_to(root).parts:
            continue
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in _imports_in_functions(ast.parse(source, str(path))):
            if REASON not in lines[node.lineno - 1]:
                where = f"{path.relative_to(root.parent)}:{node.lineno}"
                hidden.append(f"{where}: {lines[node.lineno - 1].strip()}")
    return hidden


def test_no_import_inside_a_function_without_a_reason():
    hidden = function_level_imports()
    assert not hidden, (
        "imports inside functions (move them to the top, or say why on the line with "
        f"'{REASON} …'):\n" + "\n".join(hidden)
    )


def test_the_finder_sees_nested_imports(tmp_path):
    package = tmp_path / "app"
    package.mkdir()
    (package / "m.py").write_text(
        "import os\n"
        "def f():\n"
        "    if True:\n"
        "        try:\n"
        "            import json\n"
        "        except ImportError:\n"
        "            pass\n"
        "    from pathlib import Path  # import here: an optional dependency\n"
        "class C:\n"
        "    def g(self):\n"
        "        import sys\n"
    )
    found = [line.split(": ", 1)[1] for line in function_level_imports(package)]
    assert found == ["import json", "import sys"]


def test_import_contracts_are_kept():
    root = APP.parent
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
