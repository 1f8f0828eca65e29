"""The sweep's list of the columns that name a blob cannot fall behind the models: a column
named like a digest is either in the list or exempt with its reason."""

from __future__ import annotations

from app.extensions import db
from app.retention.references import EXEMPT, REFERENCES, name_of

DIGEST_LIKE = ("sha256", "_digest", "hash")


def test_every_digest_column_is_listed_or_exempt(app):
    listed = {name_of(c) for c in REFERENCES}
    unknown = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            name = f"{table.name}.{column.name}"
            if column.name.endswith(DIGEST_LIKE) and name not in listed and name not in EXEMPT:
                unknown.append(name)
    assert unknown == [], (
        f"{unknown}: name each in app/retention/references.py, in REFERENCES if it holds the sha256 "
        "of a stored blob (or the sweep deletes the blob while the row still needs it), else in "
        "EXEMPT with the reason"
    )


def test_the_list_names_no_column_twice_and_exempts_none_it_lists(app):
    listed = [name_of(c) for c in REFERENCES]
    assert len(listed) == len(set(listed))
    assert not set(listed) & set(EXEMPT)
    columns = {f"{t.name}.{c.name}" for t in db.metadata.sorted_tables for c in t.columns}
    assert set(EXEMPT) <= columns, "an exemption names a column that no longer exists"
