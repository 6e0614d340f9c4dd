"""The environment variables the code reads, derived from the code itself: every
pydantic-settings class in our packages (env prefix + field name, or the field's upper-case
aliases) and every literal `os.environ.get` / `os.environ[...]` / `os.getenv` read."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("shared", "services", "devstack", "bench", "chaos")


def settings_env_names(settings: type[BaseSettings]) -> set[str]:
    """Variables one settings class reads. A field holding another settings class is
    skipped: that class reads its own variables (and is found on its own)."""
    prefix = settings.model_config.get("env_prefix", "")
    names: set[str] = set()
    for name, field in settings.model_fields.items():
        factory = field.default_factory
        if isinstance(factory, type) and issubclass(factory, BaseSettings):
            continue
        alias = field.validation_alias
        choices: list[Any] = list(getattr(alias, "choices", [])) if alias else []
        names |= {c for c in choices if isinstance(c, str) and c.isupper()} or {
            f"{prefix}{name}".upper()
        }
    return names


def our_settings_classes() -> set[type[BaseSettings]]:
    """Every BaseSettings class our packages define and a service can be built from: the
    leaves of the class tree (a base such as WorkerSettings reads nothing itself; each
    subclass reads its fields under its own prefix). All modules are imported to find
    them; nothing in them builds anything at import time."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            importlib.import_module(info.name)
    found: set[type[BaseSettings]] = set()
    pending = list(BaseSettings.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in PACKAGES and not cls.__subclasses__():
            found.add(cls)
    return found


def settings_variables() -> set[str]:
    return set().union(*(settings_env_names(cls) for cls in our_settings_classes()))


def _env_read(node: ast.AST) -> str | None:
    """The variable name of `os.environ.get("X")`, `os.getenv("X")` or `os.environ["X"]`."""
    target: ast.expr | None = None
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if isinstance(func, ast.Attribute) and (
            (func.attr == "get" and ast.unparse(func.value) in ("os.environ", "environ"))
            or (func.attr == "getenv" and ast.unparse(func.value) == "os")
        ):
            target = node.args[0]
    elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("os.environ", "environ"):
        target = node.slice
    if isinstance(target, ast.Constant) and isinstance(target.value, str):
        return target.value
    return None


def direct_env_reads() -> set[str]:
    names: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if (name := _env_read(node)) is not None:
                    names.add(name)
    return names


def code_variables() -> set[str]:
    return settings_variables() | direct_env_reads()
