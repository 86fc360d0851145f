"""Signing keys per mission and PAdES signatures that pyHanko's own validator accepts."""

import datetime
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from reports.models import MissionSigningKey
from reports.statements import signing

PYHANKO = str(Path(sys.executable).with_name("pyhanko"))


def _tiny_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<p>Statement body ə ğ ı ş Қазақстан</p>").write_pdf()


def _flip(data: bytes, at: int | None = None) -> bytes:
    index = len(data) // 3 if at is None else at
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def _pkcs12(passphrase: bytes | None, *, expired: bool = False) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Uploaded CA key")])
    now = datetime.datetime.now(datetime.UTC)
    start, end = (
        (now - datetime.timedelta(days=30), now - datetime.timedelta(days=1))
        if expired
        else (
            now - datetime.timedelta(days=1),
            now + datetime.timedelta(days=365),
        )
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(b"k", key, cert, None, encryption)


@pytest.fixture
def signed(mission, tmp_path):
    key = signing.generate_key(mission)
    pdf = signing.sign_pdf(
        _tiny_pdf(),
        signing.key_material(key),
        reason="Approved statement",
        signer_name="Kubanychbek Omuraliev",
    )
    (tmp_path / "cert.pem").write_text(key.certificate_pem)
    (tmp_path / "signed.pdf").write_bytes(pdf)
    return key, pdf, tmp_path


def test_generated_key_is_stored_encrypted_and_names_the_organisation(mission):
    key = signing.generate_key(mission)
    assert key.source == MissionSigningKey.Source.GENERATED
    assert "Organization of Turkic States" in key.subject
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(bytes(key.pkcs12), None)
    cert = x509.load_pem_x509_certificate(key.certificate_pem.encode())
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert key.not_after - key.not_before > datetime.timedelta(days=3 * 365)


def test_key_for_generates_once(mission):
    first = signing.key_for(mission)
    assert signing.key_for(mission).pk == first.pk
    assert MissionSigningKey.objects.filter(mission=mission).count() == 1


def test_signature_validates_with_the_mission_certificate(signed):
    key, pdf, _ = signed
    check = signing.check_signature(pdf, key.certificate_pem)
    assert check.valid and check.trusted and check.intact


def test_signature_is_not_trusted_with_another_missions_certificate(signed, outsider):
    _key, pdf, _ = signed
    other = signing.generate_key(outsider.mission)
    assert not signing.check_signature(pdf, other.certificate_pem).valid


def test_flipping_one_byte_breaks_the_signature(signed):
    key, pdf, _ = signed
    assert not signing.check_signature(_flip(pdf), key.certificate_pem).valid


def test_pyhanko_cli_accepts_the_signed_pdf_and_rejects_a_flipped_byte(signed):
    _key, pdf, folder = signed
    ok = subprocess.run(
        [
            PYHANKO,
            "sign",
            "validate",
            "--trust",
            str(folder / "cert.pem"),
            "--trust-replace",
            "--no-revocation-check",
            str(folder / "signed.pdf"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    (folder / "flipped.pdf").write_bytes(_flip(pdf))
    bad = subprocess.run(
        [
            PYHANKO,
            "sign",
            "validate",
            "--trust",
            str(folder / "cert.pem"),
            "--trust-replace",
            "--no-revocation-check",
            str(folder / "flipped.pdf"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0


def test_signature_is_pades(signed):
    _key, pdf, _ = signed
    assert b"/ETSI.CAdES.detached" in pdf


def test_uploaded_pkcs12_replaces_the_key(mission):
    key = signing.store_uploaded_key(mission, _pkcs12(b"s3cret"), "s3cret")
    assert key.source == MissionSigningKey.Source.UPLOADED
    pdf = signing.sign_pdf(_tiny_pdf(), signing.key_material(key), reason="r", signer_name="n")
    assert signing.check_signature(pdf, key.certificate_pem).valid


@pytest.mark.parametrize(
    ("data", "passphrase", "message"),
    [
        (b"%PDF-1.7 not a key", "x", "not a PKCS#12"),
        (b"\x30" + b"\x00" * (70 * 1024), "x", "too large"),
        (None, "wrong", "passphrase does not open"),
    ],
)
def test_uploaded_pkcs12_is_refused_with_a_clear_message(mission, data, passphrase, message):
    with pytest.raises(signing.SigningKeyError, match=message):
        signing.store_uploaded_key(mission, data or _pkcs12(b"right"), passphrase)
    assert not MissionSigningKey.objects.filter(mission=mission).exists()


def test_uploaded_pkcs12_with_an_expired_certificate_is_refused(mission):
    with pytest.raises(signing.SigningKeyError, match="not valid today"):
        signing.load_uploaded_pkcs12(_pkcs12(b"p", expired=True), "p")
