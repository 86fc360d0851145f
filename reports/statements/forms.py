"""Forms of the statement pages: the section editor, the logo, the signing key, verification."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.statements.services import MAX_SECTION_CHARS

MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_PIXELS = 4000 * 4000  # a few kilobytes of PNG can declare a gigapixel image
MAX_VERIFY_PDF_BYTES = 30 * 1024 * 1024
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def section_field_name(key: str) -> str:
    return f"section__{key}"


class SectionsForm(forms.Form):
    """One textarea per section of the version, named after the section's key."""

    def __init__(self, *args, sections: list[dict], labels: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.keys = [s["key"] for s in sections]
        for section in sections:
            self.fields[section_field_name(section["key"])] = forms.CharField(
                label=labels.get(section["key"], section["key"]),
                required=False,
                strip=False,
                max_length=MAX_SECTION_CHARS,
                initial=section.get("text", ""),
                widget=forms.Textarea(
                    attrs={"rows": 4, "class": "statement-text", "data-key": section["key"]}
                ),
            )

    def texts(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(section_field_name(key), "") or "" for key in self.keys}


class LogoForm(forms.Form):
    logo = forms.FileField(label=_("Organisation logo (PNG or JPEG, at most 1 MB)"))
    too_many_pixels = _("The logo may have at most 16 million pixels (e.g. 4000 × 4000).")

    def clean_logo(self):
        from PIL import Image, UnidentifiedImageError

        logo = self.cleaned_data["logo"]
        if logo.size > MAX_LOGO_BYTES:
            raise forms.ValidationError(_("The logo may be at most 1 MB."))
        try:
            image = Image.open(logo)
            image.verify()
        except Image.DecompressionBombError as exc:
            raise forms.ValidationError(self.too_many_pixels) from exc
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise forms.ValidationError(_("This file is not a PNG or JPEG image.")) from exc
        if image.width * image.height > MAX_LOGO_PIXELS:
            raise forms.ValidationError(self.too_many_pixels)
        if image.format not in {"PNG", "JPEG"}:
            raise forms.ValidationError(_("This file is not a PNG or JPEG image."))
        logo.seek(0)
        logo.name = f"logo.{'png' if image.format == 'PNG' else 'jpg'}"
        return logo


class SigningKeyForm(forms.Form):
    pkcs12 = forms.FileField(label=_("PKCS#12 file (.p12 or .pfx) with the key and its certificate"))
    passphrase = forms.CharField(
        label=_("Passphrase of the file"), required=False, strip=False, widget=forms.PasswordInput
    )

    def clean_pkcs12(self):
        from reports.statements.signing import MAX_PKCS12_BYTES

        upload = self.cleaned_data["pkcs12"]
        if upload.size > MAX_PKCS12_BYTES:
            raise forms.ValidationError(_("The file is too large for a PKCS#12 key file (at most 64 KB)."))
        return upload.read()


class VerifyForm(forms.Form):
    pdf = forms.FileField(label=_("The statement's PDF file"), required=False)
    sha256 = forms.CharField(label=_("or its SHA-256"), required=False, max_length=100)

    def clean_sha256(self):
        value = "".join(self.cleaned_data.get("sha256", "").split()).lower()
        if value and not SHA256_RE.match(value):
            raise forms.ValidationError(_("A SHA-256 is 64 hexadecimal characters."))
        return value

    def clean(self):
        data = super().clean()
        upload = data.get("pdf")
        if upload is not None and upload.size > MAX_VERIFY_PDF_BYTES:
            self.add_error("pdf", _("The file is larger than any statement (at most 30 MB)."))
        if not upload and not data.get("sha256"):
            raise forms.ValidationError(_("Choose a PDF file or paste its SHA-256."))
        return data
