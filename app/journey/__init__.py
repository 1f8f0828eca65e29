"""The dossier journey: start, fill, attach, review, sign, submit, receipt, track."""
