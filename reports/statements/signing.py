"""PAdES signatures on approved statements, with one signing key per mission.

A mission's key is generated at its first approval (a self-signed certificate in
the organisation's name) unless the secretariat uploaded a PKCS#12 from their
own certificate authority. The PKCS#12 is stored encrypted with a passphrase
derived from SECRET_KEY and the mission, so a database dump alone does not
give away the key. (Rotating SECRET_KEY therefore makes stored keys unusable:
upload the PKCS#12 again, or let a new one be generated, before rotating.)
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from config.problems import UserError
from missions.models import Mission
from reports.models import MissionSigningKey

MAX_PKCS12_BYTES = 64 * 1024
KEY_VALIDITY_DAYS = 5 * 365


class SigningKeyError(UserError):
    """A PKCS#12 that cannot serve as a mission's signing key; the message is for the uploader."""


@dataclass(frozen=True)
class SignatureCheck:
    valid: bool
    trusted: bool
    intact: bool
    signer: str
    signed_at: datetime.datetime | None
    summary: str


def _passphrase(mission: Mission) -> bytes:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"observa-statement-signing-key:{mission.pk}".encode(), hashlib.sha256
    )
    return digest.hexdigest().encode()


def _store(
    mission: Mission, key, cert: x509.Certificate, chain: list, *, source: str, user
) -> MissionSigningKey:
    blob = pkcs12.serialize_key_and_certificates(
        name=mission.code.encode(),
        key=key,
        cert=cert,
        cas=chain or None,
        encryption_algorithm=serialization.BestAvailableEncryption(_passphrase(mission)),
    )
    values = {
        "source": source,
        "pkcs12": blob,
        "certificate_pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "fingerprint_sha256": cert.fingerprint(hashes.SHA256()).hex(),
        "subject": cert.subject.rfc4514_string()[:500],
        "not_before": cert.not_valid_before_utc,
        "not_after": cert.not_valid_after_utc,
        "created_by": user,
    }
    signing_key, _created = MissionSigningKey.objects.update_or_create(mission=mission, defaults=values)
    return signing_key


def generate_key(mission: Mission, *, user=None) -> MissionSigningKey:
    """A fresh ECDSA P-256 key and a self-signed certificate naming the organisation and the mission.

    P-256 rather than RSA: as strong as RSA-3072, and loading an RSA key (which
    OpenSSL validates each time) would add half a second to every signature.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{mission.name}"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, mission.organization[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"Observa mission {mission.code}"[:64]),
        ]
    )
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=KEY_VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _store(mission, key, cert, [], source=MissionSigningKey.Source.GENERATED, user=user)


def load_uploaded_pkcs12(data: bytes, passphrase: str) -> tuple:
    """Check an uploaded PKCS#12 and return (key, certificate, chain); SigningKeyError explains a refusal."""
    if len(data) > MAX_PKCS12_BYTES:
        raise SigningKeyError(_("The file is too large for a PKCS#12 key file (at most 64 KB)."))
    if not data or data[:1] != b"\x30":
        raise SigningKeyError(_("This is not a PKCS#12 (.p12 or .pfx) file."))
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, passphrase.encode() if passphrase else None)
    except ValueError as exc:
        message = str(exc).lower()
        if "password" in message or "mac" in message or "decrypt" in message:
            raise SigningKeyError(_("The passphrase does not open this PKCS#12 file.")) from exc
        raise SigningKeyError(_("This is not a PKCS#12 (.p12 or .pfx) file.")) from exc
    if key is None or cert is None:
        raise SigningKeyError(_("The PKCS#12 file must contain both a private key and its certificate."))
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningKeyError(_("Only RSA and elliptic-curve keys can sign statements."))
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, public) != cert.public_key().public_bytes(
        serialization.Encoding.DER, public
    ):
        raise SigningKeyError(_("The private key does not belong to the certificate in the file."))
    now = timezone.now()
    if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
        raise SigningKeyError(_("The certificate is not valid today (check its validity dates)."))
    return key, cert, list(chain or [])


def store_uploaded_key(mission: Mission, data: bytes, passphrase: str, *, user=None) -> MissionSigningKey:
    key, cert, chain = load_uploaded_pkcs12(data, passphrase)
    return _store(mission, key, cert, chain, source=MissionSigningKey.Source.UPLOADED, user=user)


def key_for(mission: Mission, *, user=None) -> MissionSigningKey:
    """The mission's signing key, generated now if it has none."""
    try:
        return mission.signing_key
    except MissionSigningKey.DoesNotExist:
        return generate_key(mission, user=user)


def key_material(signing_key: MissionSigningKey) -> dict:
    """What a render process needs to sign: the encrypted PKCS#12 and the passphrase opening it."""
    return {
        "pkcs12": bytes(signing_key.pkcs12).hex(),
        "passphrase": _passphrase(signing_key.mission).decode(),
    }


def throwaway_material() -> dict:
    """A key that signs nothing real: the render server signs once with it at start, so the
    children it forks find pyHanko's lazily loaded parts already in memory."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Observa warm-up")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    passphrase = b"warm-up"
    blob = pkcs12.serialize_key_and_certificates(
        b"warm-up", key, cert, None, serialization.BestAvailableEncryption(passphrase)
    )
    return {"pkcs12": blob.hex(), "passphrase": passphrase.decode()}


def sign_pdf(pdf: bytes, material: dict, *, reason: str, signer_name: str, location: str = "") -> bytes:
    """Sign `pdf` with a PAdES baseline B signature (invisible field, SHA-256)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load_pkcs12_data(
        bytes.fromhex(material["pkcs12"]), other_certs=[], passphrase=material["passphrase"].encode()
    )
    if signer is None:
        raise ValueError("the stored signing key could not be opened")
    meta = signers.PdfSignatureMetadata(
        field_name="ObservaStatement",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason[:200],
        name=signer_name[:200] or None,
        location=location[:200] or None,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=out)
    return out.getvalue()


def check_signature(pdf: bytes, certificate_pem: str) -> SignatureCheck:
    """Validate the PDF's signatures with the mission's certificate as the only trust root."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(certificate_pem.encode()).public_bytes(serialization.Encoding.DER)
    )
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        signatures = reader.embedded_signatures
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a valid signed PDF"
        return SignatureCheck(False, False, False, "", None, f"unreadable PDF: {exc}")
    if not signatures:
        return SignatureCheck(False, False, False, "", None, "no signature")
    context = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")
    try:
        # pyHanko's synchronous API calls asyncio.run(), which refuses to run inside a thread that
        # already has an event loop (an async server, or Playwright's sync API in the test run):
        # a thread of its own never has one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            status = pool.submit(validate_pdf_signature, signatures[-1], context).result()
    except Exception as exc:  # noqa: BLE001
        return SignatureCheck(False, False, False, "", None, f"validation failed: {exc}")
    covers_all = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    return SignatureCheck(
        valid=bool(status.bottom_line) and covers_all,
        trusted=bool(status.trusted),
        intact=bool(status.intact and status.valid),
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else "",
        signed_at=status.signer_reported_dt,
        summary=status.summary(),
    )
