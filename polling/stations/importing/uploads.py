"""A station file kept on disk between the upload and the column-mapping step."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from missions.models import Mission
from polling.models import StationUpload
from polling.stations.importing.errors import UnreadableFile
from polling.stations.importing.tables import Table, open_table

STALE_AFTER = timedelta(days=1)


def safe_file_name(name: str) -> str:
    """The base name of an uploaded file without path parts or odd characters, at most 255 characters."""
    base = os.path.basename(name.replace("\\", "/")).strip()
    try:
        clean = get_valid_filename(base)
    except SuspiciousFileOperation:
        clean = "stations"
    stem, suffix = os.path.splitext(clean)
    return stem[: 255 - len(suffix)] + suffix.lower()


def station_upload_create(*, mission: Mission, user, uploaded: UploadedFile) -> StationUpload:
    """Keep `uploaded` for the mapping step after checking that it is a station list of an accepted type.

    Raises UnreadableFile, having stored nothing, for a file that is too big, of another type, or a
    different file behind a right suffix (an .xlsx that is no workbook, binary data named .csv).
    """
    max_bytes = settings.STATION_IMPORT_MAX_BYTES
    if uploaded.size is None or uploaded.size > max_bytes:
        raise UnreadableFile(
            _("This file is %(size)s; the largest file accepted is %(max)s.")
            % {"size": filesizeformat(uploaded.size or 0), "max": filesizeformat(max_bytes)}
        )
    name = safe_file_name(uploaded.name or "")
    open_table(uploaded, name, max_bytes=max_bytes)
    station_uploads_purge(mission=mission)
    upload = StationUpload(mission=mission, uploaded_by=user, original_name=name)
    uploaded.seek(0)
    upload.file.save(f"{upload.uuid}{os.path.splitext(name)[1]}", uploaded, save=False)
    try:
        upload.save()
    except BaseException:
        upload.file.delete(save=False)
        raise
    return upload


@contextmanager
def station_upload_table(upload: StationUpload) -> Iterator[Table]:
    """The stored file opened as a table; raises UnreadableFile if it has become unreadable."""
    with upload.file.open("rb") as file:
        yield open_table(file, upload.original_name, max_bytes=settings.STATION_IMPORT_MAX_BYTES)


def station_upload_discard(*, upload: StationUpload) -> None:
    """Delete the upload and its file (the file only once the row is gone for good)."""
    file = upload.file
    upload.delete()
    transaction.on_commit(lambda: file.delete(save=False))


def station_uploads_purge(*, mission: Mission) -> None:
    """Uploads nobody finished mapping within a day are discarded when the next one arrives."""
    for upload in mission.station_uploads.filter(created_at__lt=timezone.now() - STALE_AFTER):
        station_upload_discard(upload=upload)
