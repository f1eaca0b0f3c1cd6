"""Real file contents for upload tests, made on the fly (nothing binary is committed)."""

from __future__ import annotations

import io
import zipfile

from PIL import Image


def image(fmt: str = "PNG", size: tuple[int, int] = (64, 48), colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    return image("PNG", size)


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    return image("JPEG", size)


def heic(size: tuple[int, int] = (64, 48)) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return image("HEIF", size)


def pdf(text: str = "Observation record") -> bytes:
    """A small, valid one-page PDF."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx(extra_entries: int = 0, padding_bytes: int = 0) -> bytes:
    """A minimal Word (OOXML) archive; optionally with many entries or a part that unpacks large."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
        for n in range(extra_entries):
            archive.writestr(f"word/media/part{n}.xml", "<x/>")
        if padding_bytes:
            archive.writestr("word/padding.bin", b"\0" * padding_bytes)
    return out.getvalue()


def xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
TEXT = b"Reflective account: a customer whose order was late.\n"
