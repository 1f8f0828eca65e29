"""Signed declarations as an attacker makes them, and as genuine signing software does.

Each forgery appends an incremental update to the portal's declaration *before* the applicant's
own (trusted) signature, so that the declaration's bytes stay intact and the signature covers
the whole file: only an analysis of what lies between the two can tell them apart.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import ArrayObject, DictionaryObject, pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.fields import SigSeedSubFilter

from app.signing.keys import from_pkcs12
from tests.pki import PASSPHRASE

Change = Callable[[IncrementalPdfFileWriter], None]


def update(pdf: bytes, change: Change) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sign(
    pdf: bytes,
    pkcs12: bytes,
    *,
    field: str = "Signature1",
    box: tuple[int, int, int, int] | None = None,
    tsa_url: str | None = None,
    md_algorithm: str = "sha256",
) -> bytes:
    """What an applicant's signing software does: an incremental update with the signature."""
    out = io.BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        signers.PdfSignatureMetadata(
            field_name=field, subfilter=SigSeedSubFilter.PADES, md_algorithm=md_algorithm
        ),
        signer=from_pkcs12(pkcs12, PASSPHRASE),
        timestamper=timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None,
        new_field_spec=fields.SigFieldSpec(field, box=box, on_page=-1) if box else None,
        output=out,
    )
    return out.getvalue()


def _helvetica() -> DictionaryObject:
    return DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Helvetica"),
        }
    )


def _page_with(writer: IncrementalPdfFileWriter, text: bytes) -> DictionaryObject:
    content = writer.add_object(
        generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 700 Td (" + text + b") Tj ET")
    )
    return DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): ArrayObject(map(generic.NumberObject, (0, 0, 595, 842))),
            pdf_name("/Contents"): content,
            pdf_name("/Resources"): DictionaryObject(
                {pdf_name("/Font"): DictionaryObject({pdf_name("/F1"): _helvetica()})}
            ),
        }
    )


def _catalog_with_page(writer: IncrementalPdfFileWriter, text: bytes) -> generic.Reference:
    page = writer.add_object(_page_with(writer, text))
    pages = writer.add_object(
        DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Pages"),
                pdf_name("/Kids"): ArrayObject([page]),
                pdf_name("/Count"): generic.NumberObject(1),
            }
        )
    )
    page.get_object()[pdf_name("/Parent")] = pages
    return writer.add_object(
        DictionaryObject({pdf_name("/Type"): pdf_name("/Catalog"), pdf_name("/Pages"): pages})
    )


def new_root(writer: IncrementalPdfFileWriter) -> None:
    """The trailer points at a new catalog whose only page says something else."""
    writer._root = _catalog_with_page(writer, b"Mot don khac")


def text_over_answers(writer: IncrementalPdfFileWriter) -> None:
    """A white box over the answers, and other answers written on it."""
    drawing = writer.add_object(
        generic.StreamObject(
            stream_data=b"q 1 1 1 rg 60 400 480 300 re f Q BT /F9 12 Tf 72 650 Td (So tien: 1 dong) Tj ET"
        )
    )
    writer.add_stream_to_page(
        0,
        drawing,
        resources=DictionaryObject({pdf_name("/Font"): DictionaryObject({pdf_name("/F9"): _helvetica()})}),
    )


def extra_page(writer: IncrementalPdfFileWriter) -> None:
    writer.insert_page(_page_with(writer, b"Trang them: cam ket khac"))


def _annotate(writer: IncrementalPdfFileWriter, annotation: generic.Reference) -> None:
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    annots = page.get("/Annots", ArrayObject())
    annots.append(annotation)
    page[pdf_name("/Annots")] = annots
    writer.update_container(page)


def free_text_annotation(writer: IncrementalPdfFileWriter) -> None:
    annotation = writer.add_object(
        DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/FreeText"),
                pdf_name("/Rect"): ArrayObject(map(generic.NumberObject, (60, 600, 500, 640))),
                pdf_name("/Contents"): pdf_string("Diện tích: 5000 ha"),
                pdf_name("/DA"): pdf_string("/Helv 12 Tf 0 g"),
            }
        )
    )
    _annotate(writer, annotation)


def hidden_objects(writer: IncrementalPdfFileWriter) -> None:
    """Shadow "hide-and-replace", prepared: a whole other catalog that nothing refers to yet,
    for a later update to point the trailer at."""
    _catalog_with_page(writer, b"Noi dung an")


def hidden_overlay(writer: IncrementalPdfFileWriter) -> None:
    """Shadow "hide": an overlay form XObject drawn over the page, to be removed after signing."""
    overlay = writer.add_object(
        generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Form"),
                pdf_name("/BBox"): ArrayObject(map(generic.NumberObject, (0, 0, 595, 842))),
            },
            stream_data=b"1 1 1 rg 0 0 595 842 re f",
        )
    )
    drawing = writer.add_object(generic.StreamObject(stream_data=b"q /Shadow Do Q"))
    writer.add_stream_to_page(
        0,
        drawing,
        resources=DictionaryObject({pdf_name("/XObject"): DictionaryObject({pdf_name("/Shadow"): overlay})}),
    )


def text_field(writer: IncrementalPdfFileWriter) -> None:
    """Shadow "replace": a text field over the answers, whose value can change after signing."""
    field = writer.add_object(
        DictionaryObject(
            {
                pdf_name("/FT"): pdf_name("/Tx"),
                pdf_name("/T"): pdf_string("GhiChu"),
                pdf_name("/V"): pdf_string("Diện tích: 5000 ha"),
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Widget"),
                pdf_name("/Rect"): ArrayObject(map(generic.NumberObject, (60, 600, 500, 640))),
                pdf_name("/P"): writer.root["/Pages"].raw_get("/Kids")[0],
                pdf_name("/DA"): pdf_string("/Helv 12 Tf 0 g"),
            }
        )
    )
    _annotate(writer, field)
    writer.root[pdf_name("/AcroForm")] = DictionaryObject({pdf_name("/Fields"): ArrayObject([field])})
    writer.update_root()


def empty_signature_field(writer: IncrementalPdfFileWriter) -> None:
    """What some signing software writes first: an empty signature field, filled next."""
    fields.append_signature_field(
        writer, fields.SigFieldSpec("Signature1", box=(350, 60, 560, 120), on_page=-1)
    )


def reveal(signed: bytes) -> bytes:
    """Shadow "hide-and-replace", after signing: the trailer now points at another catalog,
    which keeps the signed form so that the signature still shows."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        acro_form = writer.root.raw_get("/AcroForm")
        writer._root = _catalog_with_page(writer, b"Noi dung da thay")
        writer._root.get_object()[pdf_name("/AcroForm")] = acro_form

    return update(signed, change)


# Changes made before the applicant signs, each refused as "not this dossier's declaration".
BEFORE_SIGNING: dict[str, Change] = {
    "new root": new_root,
    "text over the answers": text_over_answers,
    "extra page": extra_page,
    "FreeText annotation": free_text_annotation,
    "objects prepared for a later reveal": hidden_objects,
    "shadow hide: an overlay": hidden_overlay,
    "shadow replace: a text field": text_field,
}
