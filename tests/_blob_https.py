"""Azure Blob Storage over HTTPS on loopback, for the SDK's downloads (``jobs.download``).

azure-ai-ml downloads a job's outputs with its own storage client, built for
``https://<account>.blob.core.windows.net`` (the account from the datastore the service answers, the suffix from
the SDK's cloud table) and without the MLClient's transport. Nothing the service answers can point it elsewhere, so
the test does what a machine behind a corporate proxy does: ``HTTPS_PROXY`` names a proxy (this one, on loopback),
which answers ``CONNECT`` and terminates TLS with a certificate for ``*.blob.core.windows.net`` signed by a CA made
for the test, which ``REQUESTS_CA_BUNDLE`` makes the client trust. The requests then reach ``BlobStore``'s handler,
so the real storage client lists and reads the real blobs, and nothing leaves the machine.
"""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path


def make_ca_and_cert(folder: Path, host: str = "*.blob.core.windows.net") -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) as PEM files in ``folder``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sweep test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )  # digital signature, cert sign, CRL sign
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def list_blobs_xml(account: str, container: str, prefix: str, blobs: dict[str, bytes]) -> bytes:
    """The List Blobs answer (``GET /<container>?restype=container&comp=list&prefix=...``), one page."""
    from xml.sax.saxutils import escape

    items = "".join(
        f"<Blob><Name>{escape(name)}</Name><Properties>"
        "<Creation-Time>Mon, 23 Nov 2026 10:00:00 GMT</Creation-Time>"
        "<Last-Modified>Mon, 23 Nov 2026 10:00:00 GMT</Last-Modified><Etag>0x1</Etag>"
        f"<Content-Length>{len(data)}</Content-Length><Content-Type>application/octet-stream</Content-Type>"
        "<BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred>"
        "<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted>"
        "</Properties><Metadata /></Blob>"
        for name, data in sorted(blobs.items())
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<EnumerationResults ServiceEndpoint="https://{account}.blob.core.windows.net/" ContainerName="{container}">'
        f"<Prefix>{escape(prefix)}</Prefix><Blobs>{items}</Blobs><NextMarker /></EnumerationResults>"
    ).encode()
