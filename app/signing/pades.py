"""PAdES signatures with pyHanko: one place that turns a Signer and a level into a signed PDF."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext

FONT = Path(__file__).parents[1] / "documents" / "fonts" / "NotoSans-Regular.ttf"
# Room for the CMS: reserving it up front spares pyHanko a dry-run signature to measure it.
RESERVED = {"B-B": 16_384, "B-T": 32_768, "B-LT": 32_768, "B-LTA": 32_768}


class Level(StrEnum):
    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"


class InMemoryFont(GlyphAccumulatorFactory):
    """The stamp's font read once and handed to pyHanko from memory: its own factory opens the
    file for every signature and never closes it."""

    _data: bytes | None = None

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream: object = None) -> GlyphAccumulator:
        if InMemoryFont._data is None:
            InMemoryFont._data = Path(self.font_file).read_bytes()
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(InMemoryFont._data),
            font_size=self.font_size,
            ot_script_tag=self.ot_script_tag,
            ot_language_tag=self.ot_language_tag,
            writing_direction=self.writing_direction,
            bcp47_lang_code=self.bcp47_lang_code,
            obj_stream=obj_stream,
        )


_stamp_style: TextStampStyle | None = None


def stamp_style() -> TextStampStyle:
    """The visible stamp, in Vietnamese; Noto Sans renders its diacritics correctly."""
    global _stamp_style
    if _stamp_style is None:
        _stamp_style = TextStampStyle(
            stamp_text="Ký bởi: %(signer)s\nThời gian ký: %(ts)s",
            timestamp_format="%d/%m/%Y %H:%M:%S %z",
            text_box_style=TextBoxStyle(font=InMemoryFont(str(FONT)), font_size=9),
            border_width=1,
        )
    return _stamp_style


async def async_sign(
    pdf: bytes,
    signer: signers.Signer,
    *,
    field_name: str,
    box: tuple[int, int, int, int] | None,
    level: Level,
    reason: str,
    location: str | None = None,
    timestamper: timestamps.TimeStamper | None = None,
    validation_context: ValidationContext | None = None,
) -> bytes:
    if level is not Level.B_B and timestamper is None:
        raise ValueError(f"{level} needs a timestamp authority")
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        embed_validation_info=level in (Level.B_LT, Level.B_LTA),
        use_pades_lta=level is Level.B_LTA,
        validation_context=validation_context if level in (Level.B_LT, Level.B_LTA) else None,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=timestamper if level is not Level.B_B else None,
        stamp_style=stamp_style() if box else None,
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=-1, box=box) if box else None,
    )
    out = BytesIO()
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    await pdf_signer.async_sign_pdf(writer, output=out, bytes_reserved=RESERVED[level.value])
    return out.getvalue()


def sign(pdf: bytes, signer: signers.Signer, **kwargs: object) -> bytes:
    """Synchronous wrapper for views and commands (none of them runs inside an event loop)."""
    return asyncio.run(async_sign(pdf, signer, **kwargs))  # type: ignore[arg-type]
