"""PNG conversion: real conversions, and the PNG pass-through that spares a bulk job's CPU."""

from __future__ import annotations

import io

from PIL import Image

from book_ingestion.services.images import to_png
from tests.support.books import image_bytes


def test_a_plain_png_is_returned_unchanged():
    data = image_bytes("PNG", size=(60, 40))

    assert to_png(data) is data


def test_other_types_are_converted():
    for fmt, mode, color in (
        ("JPEG", "RGB", (10, 20, 30)),
        ("TIFF", "CMYK", (10, 20, 30, 0)),
        ("WEBP", "RGB", (10, 20, 30)),
    ):
        with Image.open(io.BytesIO(to_png(image_bytes(fmt, mode=mode, color=color)))) as image:
            assert (fmt, image.format, image.mode, image.size) == (fmt, "PNG", "RGB", (40, 30))


def test_an_animated_png_keeps_only_its_first_frame():
    frames = [Image.new("RGB", (20, 10), c) for c in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:])

    out = to_png(buffer.getvalue())

    with Image.open(io.BytesIO(out)) as image:
        assert (getattr(image, "is_animated", False), image.convert("RGB").getpixel((0, 0))) == (
            False,
            (255, 0, 0),
        )
