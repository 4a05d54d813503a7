"""TLS as a user meets it: the control plane served over HTTPS with a CA made in the test.
Trusted through the context it works; untrusted it fails with a clear sentence; mTLS needs
the client certificate; credentials never go to a remote host over plain http."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from aioke_cluster.app import create_app
from aioke_cluster.clock import OffsetClock
from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.api.errors import ConnectionFailed, InsecureTransport, LoginFailed, TlsFailed
from aioke_desktop.core.contexts import Context, TlsSettings
from harness import Cluster


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write(path: Path, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
    path.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.with_suffix(".pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _certificate(
    directory: Path,
    name: str,
    issuer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None,
    *,
    hosts: tuple[str, ...] = ("localhost", "127.0.0.1"),
    expired: bool = False,
    self_signed: bool = False,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A CA (no issuer) or a certificate for ``hosts`` signed by ``issuer`` (by itself when
    ``self_signed``), valid today or ``expired`` since yesterday."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC) - (dt.timedelta(days=2) if expired else dt.timedelta())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name) if issuer is None or self_signed else issuer[1].subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
    )
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        signer = key
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName(_alt_names(hosts)), False)
        signer = key if self_signed else issuer[0]
    cert = builder.sign(signer, hashes.SHA256())
    _write(directory / name, key, cert)
    return key, cert


def _alt_names(hosts: tuple[str, ...]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


@dataclass
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    ca = _certificate(d, "ca", None)
    _certificate(d, "server", ca)
    _certificate(d, "client", ca)
    other_ca = _certificate(d, "other-ca", None)
    _certificate(d, "expired", ca, expired=True)
    _certificate(d, "wrong-host", ca, hosts=("cp.example.com",))
    _certificate(d, "self-signed", ca, self_signed=True)
    _certificate(d, "stranger", other_ca)  # a client certificate the server does not trust
    return Pki(
        d / "ca.pem", d / "server.pem", d / "server.key", d / "client.pem", d / "client.key",
        d / "other-ca.pem",
    )  # fmt: skip


@contextmanager
def _https_cluster(
    tmp: Path, pki: Pki, *, require_client_cert: bool = False, server: str = "server"
) -> Iterator[Cluster]:
    """The real control plane over HTTPS (uvicorn with the test CA's server certificate,
    or the certificate named ``server`` in the PKI's directory)."""
    clock = OffsetClock()
    app = create_app(tmp / "cluster.db", clock=clock)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        ssl_certfile=str(pki.server_cert.with_name(f"{server}.pem")),
        ssl_keyfile=str(pki.server_key.with_name(f"{server}.key")),
        ssl_ca_certs=str(pki.ca) if require_client_cert else None,
        ssl_cert_reqs=ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_NONE,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the control plane did not start"
        time.sleep(0.01)
    try:
        yield Cluster(f"https://127.0.0.1:{sock.getsockname()[1]}", tmp / "cluster.db", clock, app)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _context(cluster: Cluster, tls: TlsSettings) -> Context:
    return Context("tls", cluster.url, "https://127.0.0.1:9", tls=tls).check()


def _log_in(cluster: Cluster, context: Context) -> str:
    user = cluster.new_user("viewer")
    with ClusterClient(context) as client:
        client.login(user.name, user.password, cluster.code(user))
        return client.me().name


def test_a_ca_trusted_through_the_context_works(tmp_path: Path, pki: Pki) -> None:
    with _https_cluster(tmp_path, pki) as cluster:
        context = _context(cluster, TlsSettings(ca_bundle=str(pki.ca)))
        assert _log_in(cluster, context).startswith("user")


def test_an_untrusted_certificate_is_refused_with_a_clear_sentence(
    tmp_path: Path, pki: Pki
) -> None:
    with _https_cluster(tmp_path, pki) as cluster:
        for tls in (TlsSettings(), TlsSettings(ca_bundle=str(pki.other_ca))):
            with pytest.raises(TlsFailed) as refused:
                _log_in(cluster, _context(cluster, tls))
            assert "certificate" in refused.value.message
            assert "CA bundle" in refused.value.message


def test_skipping_verification_is_an_explicit_opt_in(tmp_path: Path, pki: Pki) -> None:
    with _https_cluster(tmp_path, pki) as cluster:
        context = _context(cluster, TlsSettings(insecure_skip_tls_verify=True))
        assert _log_in(cluster, context).startswith("user")


def test_mutual_tls_needs_the_client_certificate(tmp_path: Path, pki: Pki) -> None:
    with _https_cluster(tmp_path, pki, require_client_cert=True) as cluster:
        trusted = TlsSettings(ca_bundle=str(pki.ca))
        with pytest.raises(ConnectionFailed):
            _log_in(cluster, _context(cluster, trusted))
        with_cert = replace(
            trusted, client_cert=str(pki.client_cert), client_key=str(pki.client_key)
        )
        assert _log_in(cluster, _context(cluster, with_cert)).startswith("user")


class Recorder(httpx.MockTransport):
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        super().__init__(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(401, json={"type": "x/invalid-credentials", "detail": "no"})


def test_credentials_over_plain_http_to_a_remote_host_are_refused_before_sending() -> None:
    remote = Context("remote", "http://cp.example.invalid:8080", "http://prom.example.invalid")
    recorder = Recorder()
    with ClusterClient(remote, transport=recorder) as client:
        with pytest.raises(InsecureTransport) as refused:
            client.login("alice", "secret password", "123456")
        assert "cp.example.invalid" in refused.value.message
        assert recorder.requests == []  # nothing left the machine

    allowed = replace(remote, allow_plain_http_credentials=True)
    with ClusterClient(allowed, transport=recorder) as client, pytest.raises(LoginFailed):
        client.login("alice", "secret password", "123456")
    assert len(recorder.requests) == 1


# -- the refusal matrix (issue 10, item 12): every bad certificate is refused, clearly ----------
SERVER_FAULTS = {
    # case: (server certificate, what the context trusts, words the sentence must hold)
    "self-signed": ("self-signed", "ca", "self-signed certificate"),
    "expired": ("expired", "ca", "certificate has expired"),
    "wrong host": ("wrong-host", "ca", "mismatch, certificate is not valid for '127.0.0.1'"),
    "unknown CA": ("server", "other-ca", "unable to get local issuer certificate"),
    "system trust only": ("server", None, "unable to get local issuer certificate"),
}


@pytest.mark.parametrize("case", SERVER_FAULTS.keys())
def test_every_untrusted_server_certificate_is_refused_with_a_sentence_naming_why(
    tmp_path: Path, pki: Pki, case: str
) -> None:
    server, trusted, reason = SERVER_FAULTS[case]
    ca = None if trusted is None else str(pki.ca.with_name(f"{trusted}.pem"))
    with (
        _https_cluster(tmp_path, pki, server=server) as cluster,
        pytest.raises(TlsFailed) as refused,
    ):
        _log_in(cluster, _context(cluster, TlsSettings(ca_bundle=ca)))
    message = refused.value.message
    print(f"{case}: {message}")
    assert message.startswith("The TLS connection to 127.0.0.1 failed (")
    assert reason in message
    assert message.endswith("check the context's CA bundle and client certificate.")


CLIENT_FAULTS = {"no client certificate": None, "a client certificate of another CA": "stranger"}


@pytest.mark.parametrize("case", CLIENT_FAULTS.keys())
def test_mutual_tls_refuses_a_missing_or_foreign_client_certificate_with_a_sentence(
    tmp_path: Path, pki: Pki, case: str
) -> None:
    client = CLIENT_FAULTS[case]
    tls = TlsSettings(ca_bundle=str(pki.ca))
    if client is not None:
        cert = pki.client_cert.with_name(f"{client}.pem")
        tls = replace(tls, client_cert=str(cert), client_key=str(cert.with_suffix(".key")))
    with (
        _https_cluster(tmp_path, pki, require_client_cert=True) as cluster,
        pytest.raises(ConnectionFailed) as refused,
    ):
        _log_in(cluster, _context(cluster, tls))
    message = refused.value.message
    print(f"{case}: {message}")
    # Under TLS 1.3 the server's refusal often arrives as a bare close, so the sentence names
    # the likely cause rather than a verified one.
    assert "client certificate" in message
    assert message.startswith("The connection to 127.0.0.1 closed") or isinstance(
        refused.value, TlsFailed
    )
