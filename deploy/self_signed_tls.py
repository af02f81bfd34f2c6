"""A self-signed TLS certificate for nginx (deploy/nginx.conf) when none is given.

    python deploy/self_signed_tls.py DIR [--host localhost] [--days 30]

Writes DIR/fullchain.pem and DIR/privkey.pem unless both exist already, so a real
certificate placed there (TLS_DIR in docker-compose.yml) is never replaced. A browser warns
about a self-signed certificate: it is for a local run only.
"""

from __future__ import annotations

import argparse
import datetime
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERTIFICATE = "fullchain.pem"
PRIVATE_KEY = "privkey.pem"


def write_self_signed(directory: Path, host: str = "localhost", days: int = 30) -> bool:
    """Write a certificate and key for ``host`` into ``directory``; False when one is there."""
    certificate, key_file = directory / CERTIFICATE, directory / PRIVATE_KEY
    if certificate.exists() and key_file.exists():
        return False
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    alternative_names: list[x509.GeneralName] = [x509.DNSName(host)]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(key_bytes)
    certificate.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("directory", type=Path, help="where fullchain.pem and privkey.pem go")
    parser.add_argument("--host", default="localhost", help="the name the certificate is for")
    parser.add_argument("--days", type=int, default=30, help="how long it is valid")
    args = parser.parse_args()
    made = write_self_signed(args.directory, args.host, args.days)
    print(f"{'wrote' if made else 'kept'} {args.directory / CERTIFICATE}")


if __name__ == "__main__":
    main()
