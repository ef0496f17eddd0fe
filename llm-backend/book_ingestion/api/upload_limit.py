"""The page upload routes' body cap (shared.api.upload_limit): one image per request, or
MAX_BULK_FILES images on `/bulk`, each at most MAX_UPLOAD_BYTES."""

from __future__ import annotations

from config import get_settings
from shared.api.upload_limit import MULTIPART_OVERHEAD, CappedBodyRoute
from shared.errors import PayloadTooLargeError


def body_limit(path: str) -> int:
    settings = get_settings()
    files = settings.max_bulk_files if path.endswith("/bulk") else 1
    return files * settings.max_upload_bytes + MULTIPART_OVERHEAD


class UploadLimitRoute(CappedBodyRoute):
    def body_limit(self) -> int:
        return body_limit(self.path)

    def too_large(self, limit: int) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"The upload is larger than {limit // (1024 * 1024)} MB; "
            f"each image may be at most {get_settings().max_upload_bytes // (1024 * 1024)} MB.",
            code="request_too_large",
        )
