"""The public step API: step modules import only ``interlock.api``, and every name it offers
exists and is documented.

The import check reads the step modules' source (ast), so it sees imports inside functions
too and never runs a step module.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import interlock
from interlock import api

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_STEPS = Path(interlock.__file__).parent / "templates" / "project" / "steps"
STEP_FOLDERS = [ROOT / "interlock_steps", ROOT / "steps", TEMPLATE_STEPS]
PUBLIC = "interlock.api"


def _is_interlock(module: str) -> bool:
    return module == "interlock" or module.startswith("interlock.")


def _is_public(module: str) -> bool:
    return module == PUBLIC or module.startswith(PUBLIC + ".")


def _instead(name: str) -> str:
    if name in api.__all__:
        return f"use `from interlock.api import {name}`"
    return (
        f"interlock.api offers no {name!r}: use what it offers (see its __all__), or add"
        f" {name!r} to interlock/api.py if step authors need it"
    )


def private_imports(path: Path, source: str | None = None, first_line: int = 1) -> list[str]:
    """Each import of ``interlock`` other than ``interlock.api`` in the module at ``path``
    (or in ``source``, found in ``path`` from ``first_line`` on), as ``file:line: what,
    and what to use instead``."""
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    ast.increment_lineno(tree, first_line - 1)
    problems = []
    for node in ast.walk(tree):
        found: list[tuple[str, str]] = []  # (what the module imports, the api name it wants)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_interlock(alias.name) and not _is_public(alias.name):
                    found.append((f"import {alias.name}", alias.name.rsplit(".", 1)[-1]))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "interlock":
                found += [
                    (f"from interlock import {alias.name}", alias.name)
                    for alias in node.names
                    if alias.name != "api"
                ]
            elif _is_interlock(node.module) and not _is_public(node.module):
                found += [
                    (f"from {node.module} import {alias.name}", alias.name) for alias in node.names
                ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and _is_interlock(node.args[0].value)
            and not _is_public(node.args[0].value)
        ):
            module = node.args[0].value
            found.append((f"imports {module!r} by name", module.rsplit(".", 1)[-1]))
        for what, name in found:
            problems.append(
                f"{shown}:{node.lineno}: {what}: step modules import only interlock.api;"
                f" {_instead(name)}"
            )
    return problems


def step_modules() -> list[Path]:
    return sorted(p for folder in STEP_FOLDERS for p in folder.rglob("*.py"))


def test_the_step_folders_are_found():
    names = {str(p.relative_to(ROOT)) for p in step_modules() if p.is_relative_to(ROOT)}
    assert {
        "interlock_steps/http_steps.py",
        "interlock_steps/db_steps.py",
        "steps/shop_steps.py",
        "interlock/templates/project/steps/generic_steps.py",
    } <= names


@pytest.mark.parametrize("path", step_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_step_modules_import_only_the_public_api(path):
    problems = private_imports(path)
    assert not problems, "\n".join(problems)


READMES = [ROOT / "steps" / "README.md", TEMPLATE_STEPS.parent / "README.md"]
_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("path", READMES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_readmes_examples_import_only_the_public_api(path):
    text = path.read_text(encoding="utf-8")
    blocks = list(_PYTHON_BLOCK.finditer(text))
    assert blocks, f"{path}: no python example of a step"
    problems = []
    for block in blocks:
        first_line = text.count("\n", 0, block.start(1)) + 1
        problems += private_imports(path, block.group(1), first_line)
    assert not problems, "\n".join(problems)


def test_the_check_names_file_line_and_what_to_use(tmp_path):
    module = tmp_path / "orders_steps.py"
    module.write_text(
        "from behave import step\n"
        "from interlock_steps import http_steps\n"
        "from interlock.api import db_checks, register\n"
        "from interlock import api\n"
        "from interlock.lint import saves_variable\n"
        "import interlock.http_checks\n"
        "from interlock import seeding, stack\n"
        "\n"
        "def step_x(context):\n"
        "    from interlock.db import Database\n"
        "    importlib.import_module('interlock.payloads')\n",
        encoding="utf-8",
    )
    problems = private_imports(module)
    assert problems == [
        f"{module}:5: from interlock.lint import saves_variable: step modules import only"
        " interlock.api; use `from interlock.api import saves_variable`",
        f"{module}:6: import interlock.http_checks: step modules import only interlock.api;"
        " use `from interlock.api import http_checks`",
        f"{module}:7: from interlock import seeding: step modules import only interlock.api;"
        " use `from interlock.api import seeding`",
        f"{module}:7: from interlock import stack: step modules import only interlock.api;"
        " interlock.api offers no 'stack': use what it offers (see its __all__), or add"
        " 'stack' to interlock/api.py if step authors need it",
        f"{module}:10: from interlock.db import Database: step modules import only"
        " interlock.api; interlock.api offers no 'Database': use what it offers (see its"
        " __all__), or add 'Database' to interlock/api.py if step authors need it",
        f"{module}:11: imports 'interlock.payloads' by name: step modules import only"
        " interlock.api; interlock.api offers no 'payloads': use what it offers (see its"
        " __all__), or add 'payloads' to interlock/api.py if step authors need it",
    ]


# -- the API itself ------------------------------------------------------------------------------


def _attribute_docstrings() -> dict[str, str]:
    """Docstrings written under a module-level assignment of interlock/api.py (the
    convention Sphinx reads): how a constant is documented."""
    tree = ast.parse(Path(api.__file__).read_text(encoding="utf-8"))
    docs = {}
    for node, following in zip(tree.body, tree.body[1:], strict=False):
        target = (
            node.target
            if isinstance(node, ast.AnnAssign)
            else node.targets[0]
            if isinstance(node, ast.Assign)
            else None
        )
        if (
            isinstance(target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[target.id] = following.value.value
    return docs


def _own_doc(obj: object) -> str | None:
    if inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismodule(obj):
        return obj.__doc__
    return None


def test_all_is_a_list_of_unique_names():
    assert len(api.__all__) == len(set(api.__all__))


@pytest.mark.parametrize("name", api.__all__)
def test_every_public_name_exists_and_has_a_docstring(name):
    assert hasattr(api, name), f"interlock.api.__all__ names {name!r}, which api does not define"
    obj = getattr(api, name)
    doc = _own_doc(obj) or _attribute_docstrings().get(name)
    assert doc and doc.strip(), (
        f"interlock.api.{name} has no docstring: a function or class needs one; a constant"
        " a string literal on the line after its assignment"
    )


@pytest.mark.parametrize("name", [n for n in api.__all__ if inspect.isclass(getattr(api, n))])
def test_every_function_of_a_namespace_has_a_docstring(name):
    namespace = getattr(api, name)
    if issubclass(namespace, BaseException):
        return
    members = {k: v for k, v in vars(namespace).items() if not k.startswith("_")}
    assert members, f"interlock.api.{name} is empty"
    for member, value in members.items():
        assert isinstance(value, staticmethod), (
            f"interlock.api.{name}.{member} must be a static method: the namespace is never"
            " instantiated"
        )
        assert (value.__func__.__doc__ or "").strip(), (
            f"interlock.api.{name}.{member} has no docstring"
        )


def test_no_public_name_is_left_out_of_all():
    defined = {
        name
        for name, value in vars(api).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "interlock.api") == "interlock.api"
        and (inspect.isfunction(value) or inspect.isclass(value))
    }
    assert defined <= set(api.__all__), (
        f"defined in interlock.api but not in __all__: {sorted(defined - set(api.__all__))}"
    )


def _step_marking_decorators() -> list[str]:
    """The public functions of interlock.lint that mark a step function (they ``setattr``
    on it, directly or in an inner function)."""
    import interlock.lint

    tree = ast.parse(Path(interlock.lint.__file__).read_text(encoding="utf-8"))
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and not node.name.startswith("_")
        and any(
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "setattr"
            for call in ast.walk(node)
        )
    ]


def test_every_step_marking_decorator_of_lint_is_public():
    decorators = _step_marking_decorators()
    assert {"saves_variable", "writes_data", "json_doc_string", "table_headers"} <= set(decorators)
    import interlock.lint

    missing = [
        name
        for name in decorators
        if name not in api.__all__ or getattr(api, name) is not getattr(interlock.lint, name)
    ]
    assert not missing, (
        f"interlock.lint marks step functions with {', '.join(missing)}, which interlock.api"
        " does not re-export: import it in interlock/api.py beside saves_variable and add it"
        " to __all__"
    )


def test_the_namespaces_call_the_functions_they_stand_for():
    """Each namespace function has the signature of the internal function of that name
    (the facade may change later; today it must not drift by accident)."""
    from interlock import db_checks, http_checks, seeding, standin_checks

    for namespace, module in (
        (api.http_checks, http_checks),
        (api.db_checks, db_checks),
        (api.standin_checks, standin_checks),
        (api.seeding, seeding),
    ):
        for name, value in vars(namespace).items():
            if name.startswith("_"):
                continue
            inner = getattr(module, name)
            assert str(inspect.signature(value.__func__)) == str(inspect.signature(inner)), (
                f"interlock.api.{namespace.__name__}.{name}"
            )


def test_the_context_accessors_read_what_the_hooks_set(tmp_path):
    from types import SimpleNamespace

    from interlock.cleanup import CleanupRegistry

    config = SimpleNamespace(data_dir=tmp_path / "data")
    stand_ins = object()
    context = SimpleNamespace(
        interlock=SimpleNamespace(config=config, standins=stand_ins), cleanup=CleanupRegistry()
    )
    assert api.run_config(context) is config
    assert api.data_folder(context) == tmp_path / "data"
    assert api.standins(context) is stand_ins
    api.register_cleanup(context, "note it", lambda: None)
    assert context.cleanup.pending() == ["note it"]
