"""My documents: the applicant's data store (kho quản lý dữ liệu điện tử của tổ chức, cá nhân,
Decree 45/2020). Every document a signed-in applicant submitted and every result they received
is kept, to be picked instead of uploaded again (the same blob, no copy), and removed at will
unless a dossier in progress uses it. The pages register from `app.store.views.init_app`: the
services are imported by the layers above (journey, events) and must not pull the views in."""
