"""Builds the Lambda package: the code that runs and its runtime dependencies, nothing else.

`sam build` runs this through the Makefile next to it (infra/template.yaml: BuildMethod
makefile), because SAM's own Python builder copies the whole CodeUri directory and has no way
to leave out tests, benchmarks, a local `data/` (the embedded SQLite database), keys or a
virtualenv. What ships: the top-level modules and the top-level Python packages except
`tests` and `bench`, without caches, dotfiles, keys or database files.

    python lambda_package.py ARTIFACTS_DIR             # code + requirements.txt for arm64
    python lambda_package.py ARTIFACTS_DIR --no-deps   # code only (the packaging tests)

Standard library only: it runs before any dependency is installed.
"""

from __future__ import annotations

import argparse
import fnmatch
import shutil
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parent
# Top-level packages that never run in Lambda.
NOT_SHIPPED_PACKAGES = frozenset({"tests", "bench"})
# Never shipped from anywhere in the tree: secrets, local databases, bytecode.
EXCLUDED_FILES = (
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "id_rsa*",
    "id_ed25519*",
    "*.sqlite",
    "*.sqlite3",
    "*.db",
    "*.db-journal",
    "*.db-wal",
    "*.db-shm",
    "*.pyc",
    "*.pyo",
)
# The functions' runtime and architecture (template.yaml's Globals); wheels are chosen for it.
PYTHON_VERSION = "3.12"
PLATFORM = "manylinux2014_aarch64"


def _excluded(path: Path) -> bool:
    name = path.name
    return (
        name.startswith(".")
        or name == "__pycache__"
        or any(fnmatch.fnmatch(name, pattern) for pattern in EXCLUDED_FILES)
    )


def shipped_files(source: Path = SOURCE) -> list[Path]:
    """The files of `source` that go into the package, relative to it, sorted."""
    files: list[Path] = []
    for entry in sorted(source.iterdir()):
        if _excluded(entry):
            continue
        if entry.is_file() and entry.suffix == ".py" and entry.name != Path(__file__).name:
            files.append(entry.relative_to(source))
        elif (
            entry.is_dir()
            and (entry / "__init__.py").is_file()
            and entry.name not in NOT_SHIPPED_PACKAGES
        ):
            files.extend(_package_files(source, entry))
    return files


def _package_files(source: Path, directory: Path) -> list[Path]:
    files: list[Path] = []
    for entry in sorted(directory.iterdir()):
        if _excluded(entry) or entry.is_symlink():
            continue
        if entry.is_dir():
            files.extend(_package_files(source, entry))
        elif entry.is_file():
            files.append(entry.relative_to(source))
    return files


def copy_code(destination: Path, source: Path = SOURCE) -> list[Path]:
    files = shipped_files(source)
    for relative in files:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, target)
    return files


def install_dependencies(destination: Path, source: Path = SOURCE) -> None:
    """requirements.txt as wheels for the Lambda runtime, whatever machine builds."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            # The target is empty: conflicts with the interpreter running this do not matter.
            "--no-warn-conflicts",
            "--requirement",
            str(source / "requirements.txt"),
            "--target",
            str(destination),
            "--platform",
            PLATFORM,
            "--implementation",
            "cp",
            "--python-version",
            PYTHON_VERSION,
            "--only-binary=:all:",
        ],
        check=True,
    )
    # Console scripts (uvicorn, fastapi, ...) are never called in Lambda.
    shutil.rmtree(destination / "bin", ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("destination", type=Path)
    parser.add_argument("--no-deps", action="store_true", help="copy the code only")
    args = parser.parse_args(argv)
    args.destination.mkdir(parents=True, exist_ok=True)
    if not args.no_deps:
        install_dependencies(args.destination)
    files = copy_code(args.destination)
    print(f"lambda_package: {len(files)} files into {args.destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
