"""Private files: one model, one way in, one way out, for every upload of the site
(protection-case evidence, commendation documents, session materials, make-up evidence).

- In: `validate_upload` checks the extension against ONE list of allowed types (no macro
  formats: no .doc/.xls/.ppt/.docm/.xlsm), the declared type, the size and the CONTENT
  (magic bytes; an Office file must be a zip whose [Content_Types].xml names the right main
  part and that carries no macros). `store_private_file` runs it and saves the row with the
  file under a random name (`<folder>/<year>/<random hex>.<ext>`): the user's file name is
  kept in the row only.
- Kept: under MEDIA_ROOT, outside the static path, never routed.
- Out: `private_file_response` (`private_file_download` for a `PrivateFile` row), called
  only by views that checked permission first, serves it as an attachment with the content
  type fixed for the extension (never the one the browser declared), `nosniff`, a
  sandboxing Content-Security-Policy and `no-store`.

`PrivateFile` is the abstract model every file row extends: session materials, make-up
evidence, case evidence and commendation documents.
"""

import os
import re
import uuid
import zipfile

from django.core.exceptions import ValidationError
from django.db import models
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .fields import actor_field

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# extension -> the content type served for it
ALLOWED_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "txt": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
# The main part an Office file of each kind declares in its [Content_Types].xml; the
# macro-enabled kinds (.docm, .xlsm, .pptm) declare another one and are refused.
_OFFICE_MAIN_PART = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
# What a file of an unknown or retired kind (an old upload named .doc) is served as.
FALLBACK_TYPE = "application/octet-stream"
# Content types a browser may declare for each extension.
_DECLARED_OK = {
    "pdf": {"application/pdf", "application/x-pdf"},
    "jpg": {"image/jpeg", "image/pjpeg"},
    "jpeg": {"image/jpeg", "image/pjpeg"},
    "png": {"image/png", "image/x-png"},
    "txt": {"text/plain"},
    "docx": {ALLOWED_TYPES["docx"], "application/octet-stream"},
    "xlsx": {ALLOWED_TYPES["xlsx"], "application/octet-stream"},
    "pptx": {ALLOWED_TYPES["pptx"], "application/octet-stream"},
}
ACCEPT_ATTR = ",".join(f".{ext}" for ext in ALLOWED_TYPES)
UPLOAD_HELP = _("PDF, JPG, PNG, TXT, DOCX, XLSX or PPTX, at most 10 MB each.")


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
    if ext in _OFFICE_MAIN_PART:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(uploaded) as archive:
                names = set(archive.namelist())
                types = archive.read("[Content_Types].xml")[:200_000].decode("utf-8", "replace")
        except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, ValueError):
            return False
        finally:
            uploaded.seek(0)
        if any(re.search(r"vbaProject|vbaData", n, re.IGNORECASE) for n in names):
            return False  # macros, whatever the extension says
        declared = set(re.findall(r'ContentType="([^"]+)"', types))
        return _OFFICE_MAIN_PART[ext] in declared and not any("macroEnabled" in t for t in declared)
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


def private_upload_to(instance, filename):
    """upload_to of every PrivateFile: a random name under the model's UPLOAD_FOLDER."""
    return random_upload_path(instance.UPLOAD_FOLDER, filename)


class PrivateFile(models.Model):
    """A file a user uploaded, kept under a random name and served only after a permission
    check (by a view of the app that owns the row, through `private_file_response`)."""

    UPLOAD_FOLDER = "files"

    file = models.FileField(_("file"), upload_to=private_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=160)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = actor_field()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self):
        return self.original_name


def store_private_file(instance: PrivateFile, uploaded, *, actor, error_field="file"):
    """Check `uploaded` and save `instance` (its owner already set) with it; the domain
    error names `error_field` so the page shows it beside the file input."""
    from .services import DomainError

    try:
        _ext, content_type = validate_upload(uploaded)
    except ValidationError as exc:
        raise DomainError({error_field: exc.messages}) from exc
    instance.file = uploaded
    instance.original_name = clean_original_name(uploaded.name)
    instance.content_type = content_type
    instance.size = uploaded.size
    instance.uploaded_by = actor
    instance.save()
    return instance


def private_file_response(field_file, *, filename, content_type):
    """Serve a stored file as a download that a browser will not render or sniff; 404 when
    the file is gone from the disk. Call only after checking the user may see it."""
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=content_type or FALLBACK_TYPE,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def private_file_download(stored: PrivateFile):
    """`private_file_response` for a `PrivateFile` row, under the name it was uploaded with;
    404 when the file is gone from the disk. Call only after checking the user may see it."""
    return private_file_response(
        stored.file, filename=stored.original_name, content_type=stored.content_type
    )
