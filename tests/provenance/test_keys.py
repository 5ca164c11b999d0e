"""The C2PA signing identity: created once with safe permissions, reused, brought by the user,
and clear errors for broken key files."""

import stat
from datetime import datetime

import pytest

pytest.importorskip("cryptography")

from cryptography import x509  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID  # noqa: E402

from artgan.cli.main import main  # noqa: E402
from artgan.errors import ConfigError  # noqa: E402
from artgan.provenance import keys  # noqa: E402


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A private ARTGAN_HOME so no test touches the real config folder."""
    monkeypatch.setenv("ARTGAN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ARTGAN_SIGNING_CERT", raising=False)
    monkeypatch.delenv("ARTGAN_SIGNING_KEY", raising=False)
    return tmp_path / "home"


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_config_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("ARTGAN_HOME", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert keys.config_dir() == tmp_path / "xdg" / "artgan"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert keys.config_dir() == tmp_path / "user" / ".config" / "artgan"
    monkeypatch.setenv("ARTGAN_HOME", str(tmp_path / "mine"))
    assert keys.keys_dir() == tmp_path / "mine" / "keys"


def test_first_use_creates_a_private_key_and_reuses_it(home):
    identity = keys.ensure_signing_identity()
    folder = home / "keys"
    assert identity.paths.private_key == folder / keys.KEY_FILE
    assert mode(identity.paths.private_key) == 0o600
    assert mode(folder) == 0o700
    assert mode(identity.paths.cert_chain) == 0o644
    assert sorted(p.name for p in folder.iterdir()) == ["ca.pem", "chain.pem", "signer.key"]
    again = keys.ensure_signing_identity()
    assert again.private_key_pem == identity.private_key_pem
    assert again.cert_chain_pem == identity.cert_chain_pem
    assert again.alg == "es256"


def test_signer_certificate_has_what_c2pa_requires(home):
    identity = keys.ensure_signing_identity()
    leaf, ca = x509.load_pem_x509_certificates(identity.cert_chain_pem)
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    ski = leaf.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ca_ski.digest != ski.digest
    assert leaf.issuer == ca.subject
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert keys.local_trust_anchor() == (home / "keys" / "ca.pem").read_bytes()


def test_describe_names_subject_fingerprint_and_expiry(home):
    info = keys.describe(keys.ensure_signing_identity())
    assert "CN=artgan local signer" in info["subject"]
    assert len(info["sha256_fingerprint"].split(":")) == 32
    lifetime = datetime.fromisoformat(info["not_after"]) - datetime.fromisoformat(
        info["not_before"]
    )
    assert round(lifetime.total_seconds() / 86400) == 365 * keys.SIGNER_YEARS


def test_bring_your_own_chain_by_environment_and_arguments(home, tmp_path, monkeypatch):
    own = keys.create_signing_identity(tmp_path / "own", common_name="Jane Doe")
    monkeypatch.setenv("ARTGAN_SIGNING_CERT", str(own.paths.cert_chain))
    monkeypatch.setenv("ARTGAN_SIGNING_KEY", str(own.paths.private_key))
    identity = keys.ensure_signing_identity()
    assert identity.private_key_pem == own.private_key_pem
    assert not (home / "keys").exists()  # nothing generated when the user brings a chain
    monkeypatch.delenv("ARTGAN_SIGNING_KEY")
    with pytest.raises(ConfigError, match="both"):
        keys.ensure_signing_identity()
    by_args = keys.ensure_signing_identity(
        cert_path=own.paths.cert_chain, key_path=own.paths.private_key
    )
    assert by_args.cert_chain_pem == own.cert_chain_pem


def test_corrupted_key_file_is_a_clear_error(home):
    identity = keys.ensure_signing_identity()
    identity.paths.private_key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nbroken\n")
    with pytest.raises(ConfigError, match=r"signer\.key is not a readable PEM private key"):
        keys.ensure_signing_identity()


def test_corrupted_chain_and_mismatched_key_are_clear_errors(home, tmp_path):
    identity = keys.ensure_signing_identity()
    other = keys.create_signing_identity(tmp_path / "other")
    with pytest.raises(ConfigError, match="does not belong"):
        keys.load_signing_identity(identity.paths.cert_chain, other.paths.private_key)
    identity.paths.cert_chain.write_text("not a certificate")
    with pytest.raises(ConfigError, match="not a PEM certificate chain"):
        keys.ensure_signing_identity()
    identity.paths.cert_chain.unlink()
    with pytest.raises(ConfigError, match="incomplete"):
        keys.ensure_signing_identity()


def test_init_refuses_to_overwrite_without_force(home):
    first = keys.create_signing_identity()
    with pytest.raises(ConfigError, match="--force"):
        keys.create_signing_identity()
    second = keys.create_signing_identity(force=True)
    assert second.private_key_pem != first.private_key_pem


def test_keys_cli_init_and_show(home, tmp_path, capsys):
    assert main(["keys", "show"]) == 2
    assert "artgan keys init" in capsys.readouterr().err
    assert main(["keys", "init", "--name", "Studio X"]) == 0
    out = capsys.readouterr().out
    assert str(home / "keys") in out and "CN=Studio X" in out
    assert main(["keys", "init"]) == 2  # exists: needs --force
    assert "--force" in capsys.readouterr().err
    assert main(["keys", "show"]) == 0
    out = capsys.readouterr().out
    assert "fingerprint  SHA-256" in out and "CN=Studio X" in out
    assert main(["keys", "init", "--dir", str(tmp_path / "elsewhere")]) == 0
    assert (tmp_path / "elsewhere" / keys.KEY_FILE).is_file()
