"""The signing identity behind artgan's C2PA Content Credentials.

C2PA (Coalition for Content Provenance and Authenticity, spec 2.x) signs manifests with an
X.509 certificate chain. A user who has no certificate gets a local one on first use: a
self-made ES256 (ECDSA P-256, SHA-256) root CA and a signer certificate it issues, stored under
the user's config directory (``$ARTGAN_HOME``, else ``$XDG_CONFIG_HOME/artgan``, else
``~/.config/artgan``) in ``keys/``:

    signer.key   the signer's private key (PKCS#8 PEM, mode 0600)
    chain.pem    signer certificate followed by the CA certificate
    ca.pem       the CA certificate alone: what someone who wants to trust you adds as an anchor

The CA's private key is discarded once the signer certificate is issued, so nothing else can
ever be issued under that CA. Such a chain verifies as intact but "untrusted" elsewhere until the
reader adds ``ca.pem`` to their trust anchors.

A user can bring their own chain and key instead (``ARTGAN_SIGNING_CERT`` and
``ARTGAN_SIGNING_KEY``, or the ``cert_path``/``key_path`` arguments). The C2PA library insists
the signer certificate has the digitalSignature key usage, an allowed extended key usage (such
as emailProtection) and subject/authority key identifiers.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write
from ..errors import ConfigError

KEY_FILE = "signer.key"
CHAIN_FILE = "chain.pem"
CA_FILE = "ca.pem"
DEFAULT_SIGNER_NAME = "artgan local signer"
CA_YEARS = 20
SIGNER_YEARS = 10


@dataclass(frozen=True)
class KeyPaths:
    cert_chain: Path
    private_key: Path
    ca: Path | None = None  # only for a local identity


@dataclass(frozen=True)
class SigningIdentity:
    cert_chain_pem: bytes  # signer certificate first, then its issuers
    private_key_pem: bytes
    paths: KeyPaths
    alg: str = "es256"  # C2PA signing algorithm name matching the key


def _crypto():
    """The ``cryptography`` modules, or a clear error when it is missing."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    except ImportError as error:
        raise ConfigError(
            "signing needs cryptography (an artgan dependency): pip install cryptography"
        ) from error
    return x509, hashes, serialization, ec, ed25519, rsa


def config_dir() -> Path:
    """artgan's per-user configuration folder."""
    if os.environ.get("ARTGAN_HOME"):
        return Path(os.environ["ARTGAN_HOME"]).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "artgan"


def keys_dir(directory: str | Path | None = None) -> Path:
    return Path(directory).expanduser() if directory else config_dir() / "keys"


def _local_paths(directory: Path) -> KeyPaths:
    return KeyPaths(directory / CHAIN_FILE, directory / KEY_FILE, directory / CA_FILE)


# ----------------------------------------------------------------------------- creating


def _name(common_name: str, organization: str):
    x509, *_ = _crypto()
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )


def _key_usage(signing: bool):
    x509, *_ = _crypto()
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


def generate_chain(common_name: str = DEFAULT_SIGNER_NAME) -> tuple[bytes, bytes, bytes]:
    """A fresh local CA and signer: (chain PEM, signer key PEM, CA certificate PEM)."""
    x509, hashes, serialization, ec, _, _ = _crypto()
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = _dt.datetime.now(_dt.timezone.utc)
    start = now - _dt.timedelta(minutes=5)  # tolerate small clock differences
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{common_name} CA", "artgan local CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + _dt.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signing=False), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, "artgan"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + _dt.timedelta(days=365 * SIGNER_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        # C2PA rejects signer certificates without an allowed EKU (section 14.5.1).
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_pem = ca_cert.public_bytes(pem)
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(pem) + ca_pem, key_pem, ca_pem


def _write_private(path: Path, data: bytes) -> None:
    def write(tmp: Path) -> None:
        os.chmod(tmp, 0o600)  # before any key byte reaches the disk
        tmp.write_bytes(data)

    atomic_write(path, write, mode=0o600)


def _write_public(path: Path, data: bytes) -> None:
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def create_signing_identity(
    directory: str | Path | None = None,
    common_name: str = DEFAULT_SIGNER_NAME,
    force: bool = False,
) -> SigningIdentity:
    """Generate a local CA + signer chain in ``directory`` (default: the config keys folder)."""
    directory = keys_dir(directory)
    paths = _local_paths(directory)
    existing = [p for p in (paths.private_key, paths.cert_chain) if p.exists()]
    if existing and not force:
        raise ConfigError(
            f"a signing identity already exists in {directory}; pass --force to replace it "
            "(files signed with the old key still verify, under the old CA)"
        )
    if not common_name.strip():
        raise ConfigError("the signer name must not be empty")
    chain_pem, key_pem, ca_pem = generate_chain(common_name.strip())
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    # Key first: a crash between the writes leaves a key without a chain, which loading
    # reports as incomplete rather than silently pairing a new chain with an old key.
    _write_private(paths.private_key, key_pem)
    _write_public(paths.cert_chain, chain_pem)
    _write_public(paths.ca, ca_pem)
    return SigningIdentity(chain_pem, key_pem, paths, "es256")


def install_signing_identity(
    cert_path: str | Path,
    key_path: str | Path,
    directory: str | Path | None = None,
    force: bool = False,
) -> SigningIdentity:
    """Bring your own certificate: check a PEM chain and key, then copy them into the keys
    folder so that every later signature uses them (a local CA left there is removed)."""
    theirs = load_signing_identity(cert_path, key_path)
    directory = keys_dir(directory)
    paths = _local_paths(directory)
    if (paths.private_key.exists() or paths.cert_chain.exists()) and not force:
        raise ConfigError(
            f"a signing identity already exists in {directory}; pass --force to replace it"
        )
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    _write_private(paths.private_key, theirs.private_key_pem)
    _write_public(paths.cert_chain, theirs.cert_chain_pem)
    if paths.ca is not None:
        paths.ca.unlink(missing_ok=True)  # the old local CA did not issue this certificate
    return SigningIdentity(
        theirs.cert_chain_pem,
        theirs.private_key_pem,
        KeyPaths(paths.cert_chain, paths.private_key),
        theirs.alg,
    )


# ----------------------------------------------------------------------------- loading


def _algorithm(private_key) -> str:
    """The C2PA algorithm name for a private key (ES256 for the P-256 keys artgan makes)."""
    _, _, _, ec, ed25519, rsa = _crypto()
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        curves = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if private_key.curve.name in curves:
            return curves[private_key.curve.name]
        raise ConfigError(f"unsupported EC curve {private_key.curve.name}: use P-256")
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(private_key, rsa.RSAPrivateKey):
        return "ps256"  # C2PA allows RSA only with PSS padding
    raise ConfigError(f"unsupported private key type {type(private_key).__name__}")


def load_signing_identity(
    cert_path: str | Path, key_path: str | Path, ca_path: Path | None = None
) -> SigningIdentity:
    """Read and check a certificate chain and its private key (PEM files)."""
    x509, _, serialization, *_ = _crypto()
    cert_path, key_path = Path(cert_path).expanduser(), Path(key_path).expanduser()
    for path, what in ((cert_path, "certificate chain"), (key_path, "private key")):
        if not path.is_file():
            raise ConfigError(f"signing {what} not found at {path}")
    chain_pem, key_pem = cert_path.read_bytes(), key_path.read_bytes()
    try:
        certs = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as error:
        raise ConfigError(
            f"{cert_path} is not a PEM certificate chain ({error}); "
            "run `artgan keys init --force` to make a new one"
        ) from error
    try:
        private_key = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError as error:
        raise ConfigError(f"{key_path} is encrypted; give an unencrypted PEM key") from error
    except ValueError as error:
        raise ConfigError(
            f"{key_path} is not a readable PEM private key ({error}); "
            "run `artgan keys init --force` to make a new one"
        ) from error
    leaf = certs[0]
    if leaf.public_key() != private_key.public_key():
        raise ConfigError(
            f"the private key {key_path} does not belong to the first certificate in {cert_path}"
        )
    if leaf.not_valid_after_utc < _dt.datetime.now(_dt.timezone.utc):
        raise ConfigError(
            f"the signing certificate in {cert_path} expired on "
            f"{leaf.not_valid_after_utc:%Y-%m-%d}; make a new one with `artgan keys init --force`"
        )
    paths = KeyPaths(cert_path, key_path, ca_path)
    return SigningIdentity(chain_pem, key_pem, paths, _algorithm(private_key))


def _explicit_paths(cert_path, key_path) -> tuple[str | None, str | None]:
    cert = cert_path or os.environ.get("ARTGAN_SIGNING_CERT")
    key = key_path or os.environ.get("ARTGAN_SIGNING_KEY")
    if bool(cert) != bool(key):
        raise ConfigError(
            "give both a signing certificate chain and its key "
            "(ARTGAN_SIGNING_CERT and ARTGAN_SIGNING_KEY), or neither"
        )
    return cert, key


def find_signing_identity(
    directory: str | Path | None = None,
    cert_path: str | Path | None = None,
    key_path: str | Path | None = None,
) -> SigningIdentity | None:
    """The identity artgan would sign with, without creating one: explicit paths, then
    ``ARTGAN_SIGNING_CERT``/``ARTGAN_SIGNING_KEY``, then the local keys folder."""
    cert, key = _explicit_paths(cert_path, key_path)
    if cert:
        return load_signing_identity(cert, key)
    directory = keys_dir(directory)
    paths = _local_paths(directory)
    if not paths.private_key.exists() and not paths.cert_chain.exists():
        return None
    if not (paths.private_key.is_file() and paths.cert_chain.is_file()):
        raise ConfigError(
            f"the signing identity in {directory} is incomplete; "
            "run `artgan keys init --force` to make a new one"
        )
    ca = paths.ca if paths.ca.is_file() else None
    return load_signing_identity(paths.cert_chain, paths.private_key, ca)


def ensure_signing_identity(
    directory: str | Path | None = None,
    cert_path: str | Path | None = None,
    key_path: str | Path | None = None,
) -> SigningIdentity:
    """The identity to sign with, creating a local one on first use."""
    identity = find_signing_identity(directory, cert_path, key_path)
    return identity or create_signing_identity(directory)


def local_trust_anchor(directory: str | Path | None = None) -> bytes | None:
    """The local CA certificate (PEM) if one exists: verifying trusts your own signatures."""
    path = keys_dir(directory) / CA_FILE
    return path.read_bytes() if path.is_file() else None


# ----------------------------------------------------------------------------- describing


def describe(identity: SigningIdentity) -> dict:
    """Subject, issuer, SHA-256 fingerprint and validity of the signer certificate."""
    x509, hashes, *_ = _crypto()
    leaf = x509.load_pem_x509_certificates(identity.cert_chain_pem)[0]
    return {
        "subject": leaf.subject.rfc4514_string(),
        "issuer": leaf.issuer.rfc4514_string(),
        "sha256_fingerprint": leaf.fingerprint(hashes.SHA256()).hex(":").upper(),
        "not_before": leaf.not_valid_before_utc.isoformat(),
        "not_after": leaf.not_valid_after_utc.isoformat(),
        "algorithm": identity.alg.upper(),
        "certificate_chain": str(identity.paths.cert_chain),
        "private_key": str(identity.paths.private_key),
        "ca": str(identity.paths.ca) if identity.paths.ca else None,
    }
