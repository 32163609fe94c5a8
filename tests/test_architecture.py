"""Layers import downward only (import-linter contract in pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path


def test_layers_import_downward_only() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([exe], capture_output=True, text=True, cwd=Path(__file__).parent.parent,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken" in result.stdout


def test_lib_is_pure() -> None:
    lib = Path(__file__).parent.parent / "nrs" / "lib"
    for path in lib.glob("*.py"):
        assert "django" not in path.read_text(encoding="utf-8"), path
