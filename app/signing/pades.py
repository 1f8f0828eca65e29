"""PAdES signatures with pyHanko: one place that turns a Signer and a level into a signed PDF."""

from __future__ import annotations

import asyncio
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from io import BytesIO
from pathlib import Path

from fontTools.ttLib import TTFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import CIDFontType2, GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext

from app.clock import VIETNAM, now

FONTS = Path(__file__).parents[1] / "documents" / "fonts"
# Subsetting the full Noto Sans costs ~200 ms a signature (fontTools decompiles its layout
# tables); the stamp font holds only Latin and Vietnamese, without layout tables (Vietnamese
# text is precomposed), and the full font is kept for names it cannot write.
STAMP_FONT, FULL_FONT = FONTS / "NotoSans-Stamp.ttf", FONTS / "NotoSans-Regular.ttf"
# The stamp font is embedded whole (~14 kB compressed) rather than subset for each signature:
# pyHanko's subsetting and the font's compilation were a third of a seal's time.
# Room for the CMS: reserving it up front spares pyHanko a dry-run signature to measure it.
RESERVED = {"B-B": 16_384, "B-T": 32_768, "B-LT": 32_768, "B-LTA": 32_768}


class Level(StrEnum):
    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"


@cache
def _font_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


@cache
def _covered(path: str) -> frozenset[int]:
    return frozenset(TTFont(BytesIO(_font_bytes(path))).getBestCmap())


@cache
def _font_program(path: str) -> bytes:
    """The font file as a compressed PDF stream's data, made once."""
    stream = generic.StreamObject(stream_data=_font_bytes(path))
    stream.compress()
    return stream.encoded_data


class WholeFontFile(CIDFontType2):
    """The font program embedded as it is, from the stream compressed once per process."""

    def __init__(self, engine: GlyphAccumulator, source: str) -> None:
        name = engine.cidfont_obj.name.split("+", 1)[1]  # pyHanko's is subset prefix + PostScript name
        super().__init__(engine.tt, name, engine.subset_prefix)
        self.source = source

    def set_font_file(self, writer: BasePdfFileWriter) -> generic.IndirectObject:
        stream = generic.StreamObject(
            {generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode")},
            encoded_data=_font_program(self.source),
        )
        ref = writer.add_object(stream)
        self._font_descriptor[generic.pdf_name("/FontFile2")] = ref
        return ref


@dataclass(frozen=True)
class InMemoryFont(GlyphAccumulatorFactory):
    """A font read once and handed to pyHanko from memory: its own factory opens the file for
    every signature and never closes it. With `whole`, the font is embedded without subsetting
    it, from a font program compressed once (for a small font)."""

    whole: bool = False

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream: object = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        engine = GlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(_font_bytes(self.font_file)),
            font_size=self.font_size,
            ot_script_tag=self.ot_script_tag,
            ot_language_tag=self.ot_language_tag,
            writing_direction=self.writing_direction,
            bcp47_lang_code=self.bcp47_lang_code,
            obj_stream=obj_stream,
        )
        if self.whole and isinstance(engine.cidfont_obj, CIDFontType2):
            engine.cidfont_obj = WholeFontFile(engine, self.font_file)
            engine._subset_created = True  # nothing to subset: pyHanko's prepare_write skips it
        return engine


# The time is our own key, not pyHanko's `ts`: pyHanko 0.38 (SigAppearanceSetup._appearance_stamp)
# sets `ts` after merging the caller's text params, in the signing time's own zone (UTC), so a
# `ts` of ours would be overwritten.
STAMP_TEXT = "Ký bởi: %(signer)s\nThời gian ký: %(vn_ts)s"
STAMP_TIME = "%d/%m/%Y %H:%M:%S %z"


def stamp_params(moment: datetime | None = None) -> dict[str, str]:
    """The stamp's signing time in Viet Nam's time, whatever the server's zone (pyHanko's own
    `ts` is the signing time in UTC on a server)."""
    return {"vn_ts": (moment or now()).astimezone(VIETNAM).strftime(STAMP_TIME)}


@cache
def _style(font: str) -> TextStampStyle:
    return TextStampStyle(
        stamp_text=STAMP_TEXT,
        timestamp_format=STAMP_TIME,
        text_box_style=TextBoxStyle(font=InMemoryFont(font, whole=font == str(STAMP_FONT)), font_size=9),
        border_width=1,
    )


def stamp_style(signer_name: str) -> TextStampStyle:
    """The visible stamp, in Vietnamese; Noto Sans renders its diacritics correctly."""
    text = unicodedata.normalize("NFC", STAMP_TEXT + signer_name + "0123456789/:+-")
    small = all(ord(c) in _covered(str(STAMP_FONT)) for c in text if c not in "\n%()")
    return _style(str(STAMP_FONT if small else FULL_FONT))


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
        stamp_style=stamp_style(_signer_name(signer)) if box else None,
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=-1, box=box) if box else None,
    )
    out = BytesIO()
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    await pdf_signer.async_sign_pdf(
        writer,
        output=out,
        bytes_reserved=RESERVED[level.value],
        appearance_text_params=stamp_params() if box else None,
    )
    return out.getvalue()


def _signer_name(signer: signers.Signer) -> str:
    cert = signer.signing_cert
    return str(cert.subject.native.get("common_name", "")) if cert is not None else ""


def sign(
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
    """Synchronous wrapper for views and commands (none of them runs inside an event loop)."""
    return asyncio.run(
        async_sign(
            pdf,
            signer,
            field_name=field_name,
            box=box,
            level=level,
            reason=reason,
            location=location,
            timestamper=timestamper,
            validation_context=validation_context,
        )
    )
