"""Handing a stored file to someone who has passed a view's access check.

On the file system, and for most files in a bucket, the bytes are streamed through the web worker. With files in an
S3 bucket (STORAGE_BACKEND=s3), one larger than S3_REDIRECT_BYTES is answered with a redirect to a signed URL for
that one object instead, so a slow client's long download does not hold a web worker: the URL works for
S3_SIGNED_URL_SECONDS only, and carries the download's file name and type, which the bucket answers with. The bucket
itself stays private and its objects' plain URLs answer nobody, so the access check is still the only way in.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header


def _is_s3(storage) -> bool:
    # Imported here: the S3 backend needs boto3 and settings only when files are in a bucket.
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - installed with the project
        return False
    return isinstance(storage, S3Storage)


def signed_url(field, *, filename: str, content_type: str, inline: bool) -> str | None:
    """A short-lived signed URL for this stored file, when it is in a bucket and large enough to be worth sending
    the client there; None to stream it."""
    threshold = settings.S3_REDIRECT_BYTES
    storage = field.storage
    if not threshold or not field.name or not _is_s3(storage):
        return None
    size = storage.size(field.name)
    if size <= threshold:
        return None
    params = {
        "Bucket": storage.bucket_name,
        "Key": storage._normalize_name(field.name),
        "ResponseContentType": content_type,
        "ResponseContentDisposition": content_disposition_header(not inline, filename),
        # Personal data: the browser may keep it for this user, shared caches never.
        "ResponseCacheControl": "private, max-age=0, must-revalidate",
    }
    # Signed with the storage's own credentials and client, whatever the storage does for plain URLs.
    client = storage.connection.meta.client
    return client.generate_presigned_url("get_object", Params=params, ExpiresIn=settings.S3_SIGNED_URL_SECONDS)


def stored_file_response(
    field, *, filename: str, content_type: str, inline: bool, may_redirect: bool = True
) -> HttpResponseRedirect | FileResponse:
    """The file for a request that has passed its access check: a redirect to a signed URL for a large file in a
    bucket, otherwise the bytes streamed from the storage (never a path on disk, which a bucket has not got).

    `may_redirect=False` for what the site's own pages embed (thumbnails in <img>): the content security policy lets
    them load images from the site only, so a redirect to the bucket would show nothing."""
    url = signed_url(field, filename=filename, content_type=content_type, inline=inline) if may_redirect else None
    if url is not None:
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
    return FileResponse(field.open("rb"), content_type=content_type, as_attachment=not inline, filename=filename)
