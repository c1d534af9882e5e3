"""Private uploads: checked on the way in, served only by views that checked permission.

Used for protection-case evidence and commendation supporting documents. Files are stored
under MEDIA_ROOT (outside the static path, never routed) with random names; the name the
user gave is kept in the row, and the content type served is the one fixed for the
extension, never the one the browser declared.
"""

import os
import uuid
import zipfile

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# extension -> the content type served for it
ALLOWED_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "txt": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# Content types a browser may declare for each extension.
_DECLARED_OK = {
    "pdf": {"application/pdf", "application/x-pdf"},
    "jpg": {"image/jpeg", "image/pjpeg"},
    "jpeg": {"image/jpeg", "image/pjpeg"},
    "png": {"image/png", "image/x-png"},
    "txt": {"text/plain"},
    "docx": {ALLOWED_TYPES["docx"], "application/octet-stream"},
}
ACCEPT_ATTR = ",".join(f".{ext}" for ext in ALLOWED_TYPES)
UPLOAD_HELP = _("PDF, JPG, PNG, TXT or DOCX, at most 10 MB each.")


def _extension(name):
    base = os.path.basename(name or "")
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def _content_matches(ext, uploaded):
    uploaded.seek(0)
    head = uploaded.read(2048)
    uploaded.seek(0)
    if ext == "pdf":
        return head.startswith(b"%PDF-")
    if ext in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if ext == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if ext == "txt":
        if b"\x00" in head:
            return False
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the 2048-byte boundary is still text.
            if exc.start < len(head) - 3:
                return False
        return True
    if ext == "docx":
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(uploaded) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return False
        finally:
            uploaded.seek(0)
        return "word/document.xml" in names
    return False


def validate_upload(uploaded):
    """Refuse a file by extension, declared type, size or content; returns (ext, type)."""
    ext = _extension(uploaded.name)
    if ext not in ALLOWED_TYPES:
        raise ValidationError(
            _("This kind of file is not accepted. %(allowed)s") % {"allowed": UPLOAD_HELP}
        )
    if not uploaded.size:
        raise ValidationError(_("The file is empty."))
    if uploaded.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("The file is larger than 10 MB."))
    declared = (getattr(uploaded, "content_type", "") or "").split(";")[0].strip().lower()
    if declared and declared not in _DECLARED_OK[ext]:
        raise ValidationError(_("The file's type does not match its name."))
    if not _content_matches(ext, uploaded):
        raise ValidationError(_("The file's content does not match its name."))
    return ext, ALLOWED_TYPES[ext]


def clean_original_name(name):
    """The user's file name without any directory part, short enough for the column."""
    base = os.path.basename((name or "").replace("\\", "/")).strip() or "file"
    if len(base) > 150:
        ext = _extension(base)
        base = base[:140] + (f".{ext}" if ext else "")
    return base


def random_upload_path(folder, filename):
    """<folder>/<year>/<random>.<ext>: the user's file name never reaches the disk.

    Model upload_to functions call this (they must be module-level to be serializable in
    migrations).
    """
    ext = _extension(filename) or "bin"
    return f"{folder}/{timezone.now():%Y}/{uuid.uuid4().hex}.{ext}"


def private_file_response(field_file, *, filename, content_type):
    """Serve a stored file as a download that a browser will not render or sniff."""
    response = FileResponse(
        field_file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
