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
IN_THE_SPACE = (350, 60, 560, 120)  # a signature box in the space a declaration leaves for it


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


def _annotate(
    writer: IncrementalPdfFileWriter, annotation: generic.Reference, *, page_index: int = 0
) -> None:
    page = writer.root["/Pages"]["/Kids"][page_index].get_object()
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
    fields.append_signature_field(writer, fields.SigFieldSpec("Signature1", box=IN_THE_SPACE, on_page=-1))


def _numbers(*values: float) -> ArrayObject:
    return ArrayObject(map(generic.NumberObject, values))


def _signature_field_with_widget(
    writer: IncrementalPdfFileWriter, rect: tuple[float, ...], **widget_entries: generic.PdfObject
) -> None:
    """A signature field with its widget apart (/Kids), the way some signing tools write it."""
    page_ref = writer.root["/Pages"].raw_get("/Kids")[-1]
    field = writer.add_object(
        DictionaryObject({pdf_name("/FT"): pdf_name("/Sig"), pdf_name("/T"): pdf_string("Signature1")})
    )
    widget = writer.add_object(
        DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Widget"),
                pdf_name("/Rect"): _numbers(*rect),
                pdf_name("/P"): page_ref,
                pdf_name("/Parent"): field,
                pdf_name("/F"): generic.NumberObject(4),
                **{pdf_name(f"/{k}"): v for k, v in widget_entries.items()},
            }
        )
    )
    field.get_object()[pdf_name("/Kids")] = ArrayObject([widget])
    _annotate(writer, widget, page_index=-1)  # the page its /P names
    writer.root[pdf_name("/AcroForm")] = DictionaryObject({pdf_name("/Fields"): ArrayObject([field])})
    writer.update_root()


def widget_over_the_text(writer: IncrementalPdfFileWriter) -> None:
    """An empty signature field whose widget (carrying its own /V to look filled) has an
    appearance of other answers, drawn over the declaration's text."""
    appearance = writer.add_object(
        generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Form"),
                pdf_name("/BBox"): _numbers(0, 0, 480, 300),
                pdf_name("/Resources"): DictionaryObject(
                    {pdf_name("/Font"): DictionaryObject({pdf_name("/F9"): _helvetica()})}
                ),
            },
            stream_data=b"1 1 1 rg 0 0 480 300 re f BT 0 g /F9 14 Tf 10 250 Td (Dien tich: 5000 ha) Tj ET",
        )
    )
    _signature_field_with_widget(
        writer,
        (60, 500, 540, 800),  # up to the last page's first line, however long the declaration
        V=generic.NullObject(),
        AP=DictionaryObject({pdf_name("/N"): appearance}),
    )


def ink_for_a_widget(writer: IncrementalPdfFileWriter) -> None:
    """A signature field whose "widget" is an ink stroke with no area: viewers draw the stroke
    from its own points, across the answers."""
    _signature_field_with_widget(
        writer,
        (0, 0, 0, 0),
        Subtype=pdf_name("/Ink"),
        InkList=ArrayObject([_numbers(60, 700, 540, 700)]),
        BS=DictionaryObject({pdf_name("/W"): generic.NumberObject(16)}),
        C=_numbers(1, 1, 1),
    )


def script_on_the_field(writer: IncrementalPdfFileWriter) -> None:
    """A signature field whose widget runs JavaScript when its page opens."""
    fields.append_signature_field(writer, fields.SigFieldSpec("Signature1", box=IN_THE_SPACE, on_page=-1))
    field = writer.root["/AcroForm"]["/Fields"][0].get_object()
    field[pdf_name("/AA")] = DictionaryObject(
        {
            pdf_name("/PO"): DictionaryObject(
                {pdf_name("/S"): pdf_name("/JavaScript"), pdf_name("/JS"): pdf_string("app.alert('5000 ha')")}
            )
        }
    )
    writer.update_container(field)


def leftover_empty_field(writer: IncrementalPdfFileWriter) -> None:
    """An empty signature field beside the one that will be signed, to fill after signing."""
    fields.append_signature_field(writer, fields.SigFieldSpec("Leftover", on_page=0))


def form_over_the_resources(writer: IncrementalPdfFileWriter) -> None:
    """The new form written into the page's resources object: the page loses its fonts."""
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    resources = page.raw_get("/Resources")
    if not isinstance(resources, generic.IndirectObject):
        resources = writer.add_object(page["/Resources"])
        page[pdf_name("/Resources")] = resources
        writer.update_container(page)
        return  # the declaration's resources are direct: nothing older to overwrite
    overwritten = resources.get_object()
    for key in list(overwritten):
        del overwritten[key]
    overwritten[pdf_name("/Fields")] = ArrayObject()
    overwritten[pdf_name("/SigFlags")] = generic.NumberObject(3)
    writer.mark_update(resources)
    writer.root[pdf_name("/AcroForm")] = resources
    writer.update_root()


def separate_widget(writer: IncrementalPdfFileWriter) -> None:
    """Genuine: a field and its widget apart, in the space left for signing."""
    _signature_field_with_widget(writer, IN_THE_SPACE)


def indirect_arrays(writer: IncrementalPdfFileWriter) -> None:
    """Genuine: the form's /Fields and the page's /Annots as objects of their own."""
    fields.append_signature_field(writer, fields.SigFieldSpec("Signature1", box=IN_THE_SPACE, on_page=-1))
    form = writer.root["/AcroForm"]
    form[pdf_name("/Fields")] = writer.add_object(ArrayObject(list(form["/Fields"])))
    page = writer.root["/Pages"]["/Kids"][-1].get_object()
    page[pdf_name("/Annots")] = writer.add_object(ArrayObject(list(page["/Annots"])))
    writer.update_container(page)
    writer.update_root()


def invisible_empty_field(writer: IncrementalPdfFileWriter) -> None:
    """Genuine: an empty invisible signature field, filled next."""
    fields.append_signature_field(writer, fields.SigFieldSpec("Signature1", on_page=-1))


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
    "a script on the signature field": script_on_the_field,
    "an ink stroke for a signature widget": ink_for_a_widget,
    "a leftover empty signature field": leftover_empty_field,
    "the form written over the page's resources": form_over_the_resources,
}
# What genuine signing software writes before its signature: each is accepted.
GENUINE: dict[str, Change] = {
    "an empty visible field": empty_signature_field,
    "an empty invisible field": invisible_empty_field,
    "a field and its widget apart": separate_widget,
    "indirect /Fields and /Annots": indirect_arrays,
}
