"""Upload checks and PNG conversion. Types are told by content (Pillow), never by file name.

Pillow is imported by the first image handled, not with the app: no other request needs it.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

from shared.errors import BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError

ACCEPTED_FORMATS = {"PNG": "png", "JPEG": "jpg", "TIFF": "tiff", "WEBP": "webp"}
ACCEPTED_TEXT = "PNG, JPEG, TIFF or WebP"

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage


def _open(data: bytes) -> PILImage:
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data))


def check_image(data: bytes, *, name: str) -> str:
    """The image's format (PNG/JPEG/TIFF/WEBP) after a full decode; 415 for other content,
    400 for a corrupt or truncated image, 413 for one with too many pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with _open(data) as image:
            fmt = image.format or ""
            image.verify()
        if fmt in ACCEPTED_FORMATS:
            with _open(data) as image:
                image.load()  # verify() does not decode pixels: truncation shows up here
    except UnidentifiedImageError:
        raise UnsupportedMediaTypeError(
            f"File {name!r} is not an image; accepted types are {ACCEPTED_TEXT}.",
            code="unsupported_image_type",
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PayloadTooLargeError(
            f"File {name!r} has too many pixels to process.", code="image_too_large"
        ) from None
    except Exception as exc:
        raise BadRequestError(
            f"File {name!r} is a corrupt or truncated image ({type(exc).__name__}).",
            code="corrupt_image",
        ) from None
    if fmt not in ACCEPTED_FORMATS:
        raise UnsupportedMediaTypeError(
            f"File {name!r} is a {fmt or 'unknown'} image; accepted types are {ACCEPTED_TEXT}.",
            code="unsupported_image_type",
        )
    return fmt


_PNG_MODES = ("1", "L", "LA", "RGB", "RGBA", "P", "I;16")


def to_png(data: bytes) -> bytes:
    """Converts an accepted image (first frame) to PNG, keeping transparency and greyscale.
    A single-frame PNG in a mode PNG keeps is returned as is: re-encoding it would only cost
    a full decode and zlib pass per page (most of a bulk OCR job's CPU time)."""
    with _open(data) as image:
        if image.format == "PNG" and image.mode in _PNG_MODES and not _animated(image):
            return data
        image.load()
        if image.mode not in _PNG_MODES:
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=False)
        return out.getvalue()


def _animated(image: PILImage) -> bool:
    return bool(getattr(image, "is_animated", False))
