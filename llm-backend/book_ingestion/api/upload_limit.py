"""The page upload routes' body cap (shared.api.upload_limit): one image per request, or
MAX_BULK_FILES images on `/bulk`, each at most MAX_UPLOAD_BYTES."""

from __future__ import annotations

from config import get_settings
from shared.api.upload_limit import MULTIPART_OVERHEAD, CappedBodyRoute


def body_limit(path: str) -> int:
    settings = get_settings()
    files = settings.max_bulk_files if path.endswith("/bulk") else 1
    return files * settings.max_upload_bytes + MULTIPART_OVERHEAD


class UploadLimitRoute(CappedBodyRoute):
    file_role = "each image"

    def body_limit(self) -> int:
        return body_limit(self.path)

    def file_limit(self) -> int:
        return get_settings().max_upload_bytes
