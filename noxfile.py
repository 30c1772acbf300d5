"""nox sessions: `nox -s tests`, `nox -s lint`, `nox -s demo`, `nox -s bench`. Each installs what it needs."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True

DISTRIBUTIONS = ["packages/vidcore", "plugins/vidcore-video", "plugins/vidcore-tsn", "plugins/vidcore-tsm"]
BENCHMARKS = ["startup", "pipeline", "loader", "overhead", "memory", "train_throughput", "data_prepare"]


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite, every distribution (the README's test command)."""
    session.install("-r", "requirements-test.txt")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole monorepo, and the core's layers (import-linter contracts in pyproject.toml)."""
    session.install("ruff", "import-linter>=2.1", "-e", "packages/vidcore")
    session.run("ruff", "check", ".")
    session.run("lint-imports")


@nox.session
def demo(session: nox.Session) -> None:
    """The README's main job: train TSN-R18 on the synthetic dataset."""
    session.install("-c", "constraints.txt", *(f"./{path}" for path in DISTRIBUTIONS))
    session.run("vidcore", "run", "configs/demo/tsn_r18_synthetic.yaml", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark under benchmarks/, each printing one JSON object (`-- --quick` for a smoke run)."""
    session.install("-r", "requirements-test.txt")
    for name in BENCHMARKS:
        session.run("python", f"benchmarks/{name}.py", *session.posargs)
