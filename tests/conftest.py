from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import Cluster, running_cluster
from sandbox_harness import Sandbox, running_sandbox


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One real control plane for the session; tests make their own users."""
    with running_cluster(tmp_path_factory.mktemp("cluster") / "cluster.db") as running:
        yield running


@pytest.fixture
def fresh_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A control plane of its own, for tests that inspect or tamper with the whole database."""
    with running_cluster(tmp_path / "cluster.db") as running:
        yield running


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The whole sandbox: control plane with workload, Prometheus with a day of history,
    Alertmanager, a demo user. Started once per session; tests make their own users."""
    with running_sandbox(tmp_path_factory.mktemp("sandbox") / "work") as running:
        yield running
