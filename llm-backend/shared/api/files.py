"""Serves the local blob store's files to admins (S3 hands out presigned URLs instead)."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Response

from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.auth.dependencies import AdminUser
from shared.errors import NotFoundError
from shared.storage import BlobNotFoundError, check_key, get_blob_store

router = APIRouter(tags=["files"], route_class=ApiRoute)


@router.get(
    "/admin/files/{key:path}",
    response_class=Response,
    responses={
        200: {
            # Any stored file: page images, and JSON / text files whose bodies no one schema
            # describes.
            "content": {"*/*": {}},
            "description": "The file's bytes, its media type guessed from its extension",
        },
        **errors(400),
    },
)
def get_file(key: str, admin: AdminUser) -> Response:
    store = get_blob_store()
    if store.backend != "local":
        raise NotFoundError("Files are served from S3 in this deployment.", code="file_not_found")
    try:
        data = store.get(check_key(key))
    except BlobNotFoundError:
        raise NotFoundError(f"No file {key!r}.", code="file_not_found") from None
    media_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return Response(content=data, media_type=media_type, headers={"Cache-Control": "private"})
