"""TLS to the team servers, against a local self-signed CA: with `sslmode=verify-full` and
`sslrootcert` naming the right CA the app connects (SCRAM password, host connections over
TLS only); with another CA it stops with one line naming the certificate, no traceback.
The same for Redis over `rediss://` with `ssl_ca_certs`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from governance_desktop.jobs.queue import make_huey
from tests.helpers.tls import (
    Authority,
    TlsPostgres,
    TlsRedis,
    make_authority,
    redis_has_tls,
    start_tls_postgres,
    start_tls_redis,
)

pytestmark = pytest.mark.team_only("starts its own PostgreSQL and Redis with TLS")

PASSWORD = "Tls-Db-Secret-6Hn"


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    # Not under pytest's tmp_path: as root its parents are 0700, and the servers run as
    # the postgres user.
    made = Path(tempfile.mkdtemp(prefix="gd-tls-"))
    made.chmod(0o755)
    yield made
    shutil.rmtree(made, ignore_errors=True)


@pytest.fixture(scope="module")
def authorities(folder: Path) -> tuple[Authority, Authority]:
    """The servers' CA and another one nobody signed the servers with."""
    return make_authority(folder / "ca", "Governance test CA"), make_authority(
        folder / "other-ca", "Some other CA"
    )


@pytest.fixture(scope="module")
def tls_postgres(folder: Path, authorities: tuple[Authority, Authority]) -> Iterator[TlsPostgres]:
    server = start_tls_postgres(folder / "postgres", authorities[0], PASSWORD)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tls_redis(folder: Path, authorities: tuple[Authority, Authority]) -> Iterator[TlsRedis]:
    if not redis_has_tls():
        pytest.skip("this redis-server was built without TLS")
    server = start_tls_redis(folder / "redis", authorities[0])
    yield server
    server.stop()


def _gd(data_dir: Path, database_url: str, queue_url: str | None, *args: str):  # type: ignore[no-untyped-def]
    import os

    env = {**os.environ, "GOVERNANCE_DATABASE_URL": database_url}
    if queue_url:
        env["GOVERNANCE_QUEUE_URL"] = queue_url
    else:
        env.pop("GOVERNANCE_QUEUE_URL", None)
    command = [sys.executable, "-m", "governance_desktop", "--data-dir", str(data_dir), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def test_postgresql_verify_full_with_the_right_ca_connects(
    tls_postgres: TlsPostgres, authorities: tuple[Authority, Authority], data_dir: Path
) -> None:
    """verify-full + the servers' CA: `check` migrates and checks the database over TLS."""
    url = tls_postgres.url(sslmode="verify-full", sslrootcert=str(authorities[0].ca))
    done = _gd(data_dir, url, None, "check", "--json")
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr


def test_postgresql_with_the_wrong_ca_is_one_line(
    tls_postgres: TlsPostgres, authorities: tuple[Authority, Authority], data_dir: Path
) -> None:
    """Another CA: one line naming the certificate check, no traceback, no password."""
    url = tls_postgres.url(sslmode="verify-full", sslrootcert=str(authorities[1].ca))
    done = _gd(data_dir, url, None, "check")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr and PASSWORD not in done.stderr
    assert "certificate" in done.stderr.lower() and "TLS" in done.stderr


def test_postgresql_without_tls_is_refused(tls_postgres: TlsPostgres, data_dir: Path) -> None:
    """The server takes host connections over TLS only: sslmode=disable is refused."""
    done = _gd(data_dir, tls_postgres.url(sslmode="disable"), None, "check")
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr


def test_redis_over_tls_with_the_right_ca_and_the_wrong_one(
    tls_postgres: TlsPostgres,
    tls_redis: TlsRedis,
    authorities: tuple[Authority, Authority],
    data_dir: Path,
) -> None:
    """rediss:// with the servers' CA: the app's queue works over TLS; a worker
    with another CA stops with one line naming the certificate."""
    db = tls_postgres.url(sslmode="verify-full", sslrootcert=str(authorities[0].ca))
    good_queue = tls_redis.url(authorities[0].ca)
    added = _gd(data_dir, db, good_queue, "policies", "add", "POL-1", "--title", "Over TLS")
    assert added.returncode == 0, added.stderr
    review = _gd(data_dir, db, good_queue, "policies", "set-status", "POL-1", "in_review")
    assert review.returncode == 0, review.stderr
    queue = make_huey(good_queue)  # the app's own queue on that URL
    queue.storage.enqueue(b"over TLS")
    assert queue.storage.queue_size() == 1 and queue.storage.dequeue() == b"over TLS"
    bad = _gd(data_dir, db, tls_redis.url(authorities[1].ca), "worker", "--burst")
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1, bad.stderr
    assert "Traceback" not in bad.stderr
    assert "certificate" in bad.stderr.lower() and "TLS" in bad.stderr


def test_setup_database_roles_log_in_with_scram_over_tls(
    tls_postgres: TlsPostgres, authorities: tuple[Authority, Authority], data_dir: Path
) -> None:
    """On a server that takes only SCRAM over TLS, `setup-database` makes the roles and the
    app role logs in with its password (the client-side SCRAM verifier is the real one):
    `check` as that role passes with no warning; a wrong password is one line."""
    import os

    tls = f"sslmode=verify-full&sslrootcert={authorities[0].ca}"
    admin = f"postgresql://postgres@127.0.0.1:{tls_postgres.port}/postgres?{tls}"
    env = {
        **os.environ,
        "PGPASSWORD": PASSWORD,
        "GOVERNANCE_OWNER_PASSWORD": "Owner-Tls-2Xc",
        "GOVERNANCE_APP_PASSWORD": "App-Tls-9Vb",
    }
    env.pop("GOVERNANCE_DATABASE_URL", None)
    env.pop("GOVERNANCE_QUEUE_URL", None)
    command = [sys.executable, "-m", "governance_desktop", "--data-dir", str(data_dir)]
    done = subprocess.run(
        [*command, "setup-database", admin], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    app = f"postgresql+psycopg://governance_app:App-Tls-9Vb@127.0.0.1:{tls_postgres.port}"
    checked = _gd(data_dir, f"{app}/postgres?{tls}", None, "check", "--json")
    assert checked.returncode == 0, checked.stderr
    assert "warning" not in checked.stderr
    assert "governance_app" in checked.stdout and "App-Tls-9Vb" not in checked.stdout
    wrong = _gd(data_dir, f"{app.replace('9Vb', '0Zz')}/postgres?{tls}", None, "check")
    assert wrong.returncode == 1 and wrong.stderr.count("\n") == 1, wrong.stderr
    assert "password authentication failed" in wrong.stderr and "0Zz" not in wrong.stderr
