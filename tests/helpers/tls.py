"""A local certificate authority and TLS servers for the TLS tests: a PostgreSQL with
`ssl=on` (host connections over TLS only, SCRAM passwords) and a Redis with `--tls-port`,
each in a folder of its own, stopped by PID.

As root, both servers run as the `postgres` user (PostgreSQL refuses root), as
tools/team-servers does.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = os.environ.get("TEAM_SERVERS_USER", "postgres")


@dataclass(frozen=True)
class Authority:
    """A CA certificate file and the server certificate and key it signed (for 127.0.0.1)."""

    ca: Path
    cert: Path
    key: Path


def _write_key(key: object, path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    data = key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    path.write_bytes(data)
    path.chmod(0o600)


def make_authority(folder: Path, name: str) -> Authority:
    """A self-signed CA called `name` and a server certificate for 127.0.0.1/localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = Authority(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, paths.key)
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command


def _give(path: Path) -> None:
    """As root, hand `path` (and what is in it) to the server user."""
    if os.geteuid() != 0:
        return
    for item in [path, *path.rglob("*")]:
        shutil.chown(item, SERVER_USER)


def pg_bin(name: str) -> str:
    for found in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(found)
    which = shutil.which(name)
    if which is None:
        raise RuntimeError(f"{name} not found (apt-get install postgresql)")
    return which


@dataclass
class TlsPostgres:
    """A PostgreSQL taking host connections over TLS only, with a SCRAM password."""

    folder: Path
    port: int
    password: str

    def url(self, **query: str) -> str:
        extra = "&".join(f"{k}={v}" for k, v in query.items())
        return f"postgresql+psycopg://postgres:{self.password}@127.0.0.1:{self.port}/postgres" + (
            f"?{extra}" if extra else ""
        )

    def stop(self) -> None:
        pidfile = self.folder / "pg" / "postmaster.pid"
        if pidfile.exists():
            _stop(int(pidfile.read_text().split()[0]))


def _stop(pid: int) -> None:
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, 9)


def start_tls_postgres(folder: Path, authority: Authority, password: str) -> TlsPostgres:
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    keys = folder / "keys"
    keys.mkdir()
    for source in (authority.cert, authority.key):
        shutil.copy(source, keys / source.name)
    (keys / "server.key").chmod(0o600)
    pwfile = folder / "pwfile"
    pwfile.write_text(password + "\n")
    data = folder / "pg"
    data.mkdir()
    _give(folder)
    subprocess.run(
        _as_server_user(
            [
                pg_bin("initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                f"--pwfile={pwfile}",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    # Host connections over TLS only: a plain TCP connection finds no pg_hba line.
    hba = data / "pg_hba.conf"
    hba.write_text(
        "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n", encoding="utf-8"
    )
    _give(hba)
    port = free_port()
    options = (
        f"-k {data} -h 127.0.0.1 -p {port} -c ssl=on -c ssl_cert_file={keys / 'server.pem'} "
        f"-c ssl_key_file={keys / 'server.key'} -c fsync=off"
    )
    subprocess.run(
        _as_server_user(
            [
                pg_bin("pg_ctl"),
                *("-D", str(data), "-l", str(data / "server.log")),
                *("-w", "-t", "60", "-o", options, "start"),
            ]
        ),
        check=True,
        capture_output=True,
    )
    return TlsPostgres(folder, port, password)


@dataclass
class TlsRedis:
    folder: Path
    port: int
    pid: int

    def url(self, ca: Path) -> str:
        return f"rediss://127.0.0.1:{self.port}/0?ssl_ca_certs={ca}&ssl_cert_reqs=required"

    def stop(self) -> None:
        _stop(self.pid)


def redis_has_tls() -> bool:
    """Whether this redis-server was built with TLS (it then accepts --tls-port)."""
    if shutil.which("redis-server") is None:
        return False
    done = subprocess.run(
        ["redis-server", "--port", "0", "--tls-port", "0", "--test-memory", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    return "tls-port" not in (done.stdout + done.stderr).lower()


def start_tls_redis(folder: Path, authority: Authority) -> TlsRedis:
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    for source in (authority.cert, authority.key, authority.ca):
        shutil.copy(source, folder / source.name)
    _give(folder)
    port = free_port()
    pidfile = folder / "redis.pid"
    subprocess.run(
        _as_server_user(
            [
                "redis-server",
                *("--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1"),
                *("--tls-cert-file", str(folder / "server.pem")),
                *("--tls-key-file", str(folder / "server.key")),
                *("--tls-ca-cert-file", str(folder / "ca.pem"), "--tls-auth-clients", "no"),
                *("--save", "", "--appendonly", "no", "--daemonize", "yes"),
                *("--pidfile", str(pidfile), "--logfile", str(folder / "redis.log")),
                *("--dir", str(folder)),
            ]
        ),
        check=True,
        capture_output=True,
    )
    for _ in range(100):
        if pidfile.exists() and pidfile.read_text().strip():
            break
        time.sleep(0.1)
    return TlsRedis(folder, port, int(pidfile.read_text().strip()))
