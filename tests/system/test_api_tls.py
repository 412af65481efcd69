"""The API's TLS (issue 10 point 9): TLS 1.2 only with AEAD suites that have
forward secrecy (Mozilla's "intermediate": ECDHE/DHE with AES-GCM or
ChaCha20-Poly1305), no CBC and no static RSA key exchange; TLS 1.3 as
OpenSSL has it. Real handshakes with Python's ssl module against gtmd's API
on loopback, with its self-signed ECDSA certificate and with an RSA
certificate given by --tls-cert/--tls-key."""

import socket
import ssl
import subprocess

import pytest

from armapi import start_api
from conftest import LOOPBACK4, scaled

# Mozilla "intermediate", TLS 1.2 part (OpenSSL names).
AEAD_FS = {
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-AES128-GCM-SHA256",
    "DHE-RSA-AES256-GCM-SHA384",
    "DHE-RSA-CHACHA20-POLY1305",
}


def handshake(port, ciphers=None, version=ssl.TLSVersion.TLSv1_2):
    """One handshake offering only `ciphers` at exactly `version`: the
    negotiated (protocol, cipher name), or None when the server refused."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = version
    ctx.maximum_version = version
    if ciphers:
        # SECLEVEL=0: let the client offer even what a default client would
        # not, so that it is the server that decides.
        ctx.set_ciphers(ciphers + ":@SECLEVEL=0")
    with socket.create_connection((LOOPBACK4, port), timeout=scaled(5)) as s:
        try:
            with ctx.wrap_socket(s) as t:
                return t.version(), t.cipher()[0]
        except (ssl.SSLError, ConnectionResetError):
            return None


def tls12_suites():
    """Every TLS 1.2 suite this OpenSSL can offer."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    return sorted({c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"})


def every_suite_accepted(port):
    """The TLS 1.2 suites the server accepts, each offered alone."""
    got = set()
    for name in tls12_suites():
        try:
            r = handshake(port, name)
        except ssl.SSLError:  # this client cannot offer it alone
            continue
        if r:
            assert r == ("TLSv1.2", name), r
            got.add(name)
    return got


@pytest.fixture
def rsa_cert(tmp_path):
    key, crt = tmp_path / "rsa.key", tmp_path / "rsa.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(crt), "-days", "1", "-subj", "/CN=127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    return crt, key


def test_tls12_self_signed_ecdsa_aead_only(gtmd_factory, tmp_path):
    g = start_api(gtmd_factory, tmp_path)
    port = g.api_port
    # CBC suites (SHA-1 and SHA-256 MACs) are refused, with or without
    # forward secrecy.
    for cbc in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA",
                "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384", "AES128-SHA"):
        assert handshake(port, cbc) is None, cbc
    # The AEAD ones work.
    for aead in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                 "ECDHE-ECDSA-CHACHA20-POLY1305"):
        assert handshake(port, aead) == ("TLSv1.2", aead)
    # A default client gets TLS 1.3, and a default TLS 1.2 client an AEAD suite.
    assert handshake(port, version=ssl.TLSVersion.TLSv1_3)[0] == "TLSv1.3"
    v, c = handshake(port)
    assert v == "TLSv1.2" and c in AEAD_FS, c
    # Each suite offered alone: only Mozilla's intermediate ones (for an
    # ECDSA key) get through.
    assert every_suite_accepted(port) == {c for c in AEAD_FS if "ECDSA" in c}
    # The API still answers over it.
    assert g.api.get("/gtmd/v1/status", api_version=None).status == 200


def test_tls12_rsa_certificate_aead_only(gtmd_factory, tmp_path, rsa_cert):
    crt, key = rsa_cert
    g = start_api(gtmd_factory, tmp_path, extra=["--tls-cert", str(crt), "--tls-key", str(key)])
    port = g.api_port
    for cbc in ("AES128-SHA", "AES256-SHA", "ECDHE-RSA-AES128-SHA", "DHE-RSA-AES128-SHA",
                "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA256", "DHE-RSA-AES256-SHA256"):
        assert handshake(port, cbc) is None, cbc
    for aead in ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305",
                 "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384"):
        assert handshake(port, aead) == ("TLSv1.2", aead)
    assert every_suite_accepted(port) == {c for c in AEAD_FS if "ECDSA" not in c}
    assert handshake(port, version=ssl.TLSVersion.TLSv1_3)[0] == "TLSv1.3"
