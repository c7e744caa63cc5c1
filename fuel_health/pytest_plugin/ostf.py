"""OSTF test metadata (the ONE declared form), test sets, discovery, and numbered steps.

    @ostf.scenario(title="...", steps=["...", "..."], tags="kvm | qemu, volumes_lvm",
                   duration="40 s", hypervisor="kvm", since="6.1")
    def test_x(ctx, step):
        '''What the test proves (the OSTF description).'''
        with step(1):
            ...

A failure inside `with step(N):` becomes `StepFailed: Step N failed: <step title>: <cause>`, the
message fuel-ostf's UI parsed to highlight step N.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import pkgutil
import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

import pytest

from fuel_health.pytest_plugin import tags as tag_expr

F = TypeVar("F", bound=Callable[..., Any])
META_ATTR = "__ostf_meta__"
HYPERVISOR_VALUES = ("kvm", "vcenter", "both")
# Package names under a test set that imply the hypervisor when the decorator does not say.
HYPERVISOR_PACKAGES = {"kvm": "kvm", "vcenter": "vcenter", "cross_zone": "both"}


@dataclass(frozen=True)
class TestSet:
    """An OSTF test set: id, ordering priority, the description the UI shows, tags it needs."""

    __test__ = False  # named Test*: keep pytest from collecting it

    id: str
    priority: int
    description: str
    tags: str = ""  # deployment tags the whole set needs


TEST_SETS: dict[str, TestSet] = {s.id: s for s in (
    TestSet("sanity", 1, "Sanity tests. Duration 30 sec - 2 min"),
    TestSet("smoke", 2, "Functional tests. Duration 3 min - 14 min"),
    TestSet("ha", 3, "HA tests. Duration 30 sec - 8 min", tags="ha"),
    # fuel-ostf ran it for additional components (sahara, murano...); here also for the vCenter platform.
    TestSet("tests_platform", 4, "Platform services functional tests. Duration 3 min - 60 min",
            tags="additional_components | use_vcenter"),
    # fuel-ostf's priorities; its cloudvalidation set (5) has no check here, so it is not offered.
    TestSet("configuration", 6, "Configuration tests. Duration 30 sec - 2 min"),
)}


class OstfMetadataError(ValueError):
    """Wrong @ostf.scenario metadata; raised at import time, naming the test."""


@dataclass(frozen=True)
class TestMeta:
    """The metadata of one test, as @ostf.scenario declares it."""

    __test__ = False  # named Test*: keep pytest from collecting it

    id: str  # stable: dotted module path + function name
    title: str
    description: str
    steps: tuple[str, ...]
    tags: str
    duration: str
    hypervisor: str | None  # kvm, vcenter, both (cross-zone) or None (not hypervisor-specific)
    test_set: str
    since: str | None

    @property
    def priority(self) -> int:
        """Return the test set's OSTF ordering priority."""
        return TEST_SETS[self.test_set].priority

    def step_title(self, n: int) -> str:
        """Return the title of step n (1-based), or raise OstfMetadataError."""
        if not 1 <= n <= len(self.steps):
            raise OstfMetadataError(f"{self.id}: step({n}) but the scenario lists {len(self.steps)} steps")
        return self.steps[n - 1]


def package_hypervisor(packages: Sequence[str]) -> str | None:
    """kvm, vcenter or both, as the first package named for a hypervisor says (None when none is)."""
    return next((HYPERVISOR_PACKAGES[p] for p in packages if p in HYPERVISOR_PACKAGES), None)


def _test_set_of(module: str, test_id: str) -> tuple[str, str | None]:
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part in TEST_SETS:
            below = parts[i + 1:]
            hypervisor = package_hypervisor(below)
            return part, hypervisor
    raise OstfMetadataError(f"{test_id}: module is not under a test set package "
                            f"({', '.join(TEST_SETS)})")


def _used_steps(func: Callable[..., Any]) -> list[int]:
    # Find `step(N)` calls in the body, so a wrong N fails at import, not half-way through a run.
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return []
    return [node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "step"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, int)]


def scenario(
    *,
    title: str,
    steps: list[str] | tuple[str, ...],
    tags: str = "",
    duration: str = "",
    hypervisor: str | None = None,
    since: str | None = None,
) -> Callable[[F], F]:
    """Declare an OSTF test: store its TestMeta on the function and add the pytest markers."""

    def decorate(func: F) -> F:
        # Module path + name (Class.name for methods); a function made inside another keeps its own name.
        name = func.__name__ if "<locals>" in func.__qualname__ else func.__qualname__
        test_id = f"{func.__module__}.{name}"
        test_set, path_hypervisor = _test_set_of(func.__module__, test_id)
        hv = hypervisor or path_hypervisor
        if not title.strip():
            raise OstfMetadataError(f"{test_id}: empty title")
        if not steps or not all(isinstance(s, str) and s.strip() for s in steps):
            raise OstfMetadataError(f"{test_id}: steps must be a non-empty list of step titles")
        if hv is not None and hv not in HYPERVISOR_VALUES:
            raise OstfMetadataError(f"{test_id}: hypervisor {hv!r} is not one of "
                                    f"{', '.join(HYPERVISOR_VALUES)}")
        if since is not None and not re.fullmatch(r"\d+(\.\d+)*", since):
            raise OstfMetadataError(f"{test_id}: since={since!r} is not a Fuel version like '6.1'")
        try:
            tag_expr.parse(tags)
        except tag_expr.TagExpressionError as exc:
            raise OstfMetadataError(f"{test_id}: {exc}") from None
        meta = TestMeta(
            id=test_id, title=title.strip(), description=inspect.cleandoc(func.__doc__ or ""),
            steps=tuple(s.strip() for s in steps), tags=tags.strip(), duration=duration,
            hypervisor=hv, test_set=test_set, since=since,
        )
        for n in _used_steps(func):
            meta.step_title(n)  # raises OstfMetadataError naming the test
        setattr(func, META_ATTR, meta)
        marked: Any = func
        for mark in (pytest.mark.ostf, getattr(pytest.mark, test_set),
                     *((getattr(pytest.mark, f"hypervisor_{hv}"),) if hv else ())):
            marked = mark(marked)
        return marked

    return decorate


def meta_of(obj: Any) -> TestMeta | None:
    """Return the TestMeta of a decorated test function (or None)."""
    return getattr(obj, META_ATTR, None)


class DiscoveryError(ImportError):
    """A test module failed to import; one line naming it."""


def discover(package: str = "fuel_health.tests") -> list[TestMeta]:
    """Import every module under the package and return the tests' metadata, in OSTF order."""
    found: dict[str, tuple[TestMeta, int]] = {}
    for module in _modules(package):
        for _, obj in inspect.getmembers(module, inspect.isfunction):
            meta = meta_of(obj)
            # Only where defined: a test imported into another module is not a second test.
            if meta is not None and obj.__module__ == module.__name__:
                found[meta.id] = (meta, obj.__code__.co_firstlineno)
    return [m for m, _ in sorted(found.values(), key=lambda ml: (ml[0].priority, ml[0].id.rsplit(".", 1)[0],
                                                                   ml[1]))]


def _modules(package: str) -> Iterator[ModuleType]:
    root = _import(package)
    yield root
    for info in pkgutil.walk_packages(getattr(root, "__path__", []), prefix=f"{package}."):
        yield _import(info.name)


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except OstfMetadataError:
        raise
    except Exception as exc:
        raise DiscoveryError(f"cannot import {name}: {type(exc).__name__}: {exc}") from exc


# --- steps --------------------------------------------------------------------------------------------


class StepFailed(AssertionError):
    """Step N of a scenario failed; str() is `Step N failed: <what>` (the form OSTF's UI parses)."""

    def __init__(self, step: int, what: str) -> None:
        self.step, self.what = step, what
        super().__init__(f"Step {step} failed: {what}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.step, self.what))


STEP_MESSAGE_RE = re.compile(r"^Step (\d+) failed: ")

# Outcomes that are not failures of the step: they go through untouched.
_PASS_THROUGH: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit, GeneratorExit,
                                                  pytest.skip.Exception, pytest.xfail.Exception)


def _cause(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, AssertionError | pytest.fail.Exception):
        text = text.splitlines()[0] if text else "assertion failed"
    else:
        text = f"{type(exc).__name__}: {' '.join(text.split())}" if text else type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


class StepRunner:
    """Hands out `step(n)` blocks for one test: numbered failures, allure steps when allure is on."""

    def __init__(self, meta: TestMeta, *, allure_active: bool = False) -> None:
        self.meta = meta
        self.allure_active = allure_active
        self.current: int | None = None  # the last step entered (reports show how far a test got)

    def __call__(self, n: int) -> contextlib.AbstractContextManager[None]:
        title = self.meta.step_title(n)
        return self._run(n, title)

    @contextlib.contextmanager
    def _run(self, n: int, title: str) -> Iterator[None]:
        self.current = n
        with _allure_step(f"Step {n}. {title}") if self.allure_active else contextlib.nullcontext():
            try:
                yield
            except StepFailed:
                raise  # already numbered (a nested step or a helper that knows better)
            except _PASS_THROUGH:
                raise
            except (Exception, pytest.fail.Exception) as exc:
                raise StepFailed(n, f"{title}: {_cause(exc)}") from exc


def _allure_step(title: str) -> contextlib.AbstractContextManager[Any]:
    import allure  # only when allure-pytest is writing results

    return allure.step(title)
