"""The house's rules, checked on every import of the product code (lazy ones inside functions included):
dependencies point one way, handlers -> media_types -> the platforms -> pipeline -> data; the two platforms
never import each other; Telegram stays above the platforms, yt-dlp below media_types."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A package may import its own layer and the ones below it.
LAYERS = {"data": 0, "pipeline": 1, "tiktok_api": 2, "instagram_api": 2, "media_types": 3, "handlers": 4}
SIBLINGS = {"tiktok_api", "instagram_api"}  # the same layer, never each other
# Third-party packages a layer must not know: Telegram above the platforms, yt-dlp below media_types.
FORBIDDEN = {
    "aiogram": {"data", "pipeline", "tiktok_api", "instagram_api"},
    "aiogram_i18n": {"data", "pipeline", "tiktok_api", "instagram_api"},
    "yt_dlp": {"data", "media_types", "handlers"},
    "curl_cffi": {"data", "media_types", "handlers"},
}
MAX_MODULE_LINES = 350


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in the source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def violations(root: Path) -> list[str]:
    """Every import against the direction, in the product packages under `root`."""
    problems = []
    for package, layer in LAYERS.items():
        for path in sorted((root / package).rglob("*.py")):
            for line, module in imported_modules(path.read_text(encoding="utf-8")):
                target = module.split(".")[0]
                where = f"{path.relative_to(root)}:{line} imports {module}"
                if target in LAYERS and target != package:
                    if LAYERS[target] > layer:
                        problems.append(f"{where}: {package} may not depend on {target} (it is above)")
                    elif {package, target} == SIBLINGS:
                        problems.append(f"{where}: the platforms never import each other")
                if package in FORBIDDEN.get(target, ()):
                    problems.append(f"{where}: {package} must not know {target}")
    return problems


def test_the_product_imports_only_downwards() -> None:
    assert violations(ROOT) == []


@pytest.mark.parametrize(
    ("package", "module", "source", "complaint"),
    [
        ("pipeline", "client.py", "from media_types import Deliverer", "pipeline may not depend on media_types"),
        ("data", "shared.py", "import handlers.factory", "data may not depend on handlers"),
        ("tiktok_api", "links.py", "from instagram_api.links import parse_link", "never import each other"),
        ("media_types", "produce.py", "def later():\n    import yt_dlp", "media_types must not know yt_dlp"),
        ("pipeline", "cdn.py", "from aiogram.types import Message", "pipeline must not know aiogram"),
    ],
)
def test_a_wrong_import_is_caught(tmp_path: Path, package: str, module: str, source: str, complaint: str) -> None:
    """The check itself: a tree with one import against the rules yields exactly that complaint."""
    for name in LAYERS:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("from data import keys\n")
    (tmp_path / package / module).write_text(textwrap.dedent(source) + "\n")
    [problem] = violations(tmp_path)
    assert problem.startswith(f"{package}/{module}:") and complaint in problem


def test_no_product_module_is_too_long_to_hold_in_your_head() -> None:
    """~350 lines at most (DEVELOPERS: a module a newcomer can hold in their head)."""
    long = {str(path.relative_to(ROOT)): n for package in LAYERS for path in (ROOT / package).rglob("*.py")
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}
