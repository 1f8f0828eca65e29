"""Ratings (đánh giá mức độ hài lòng): how satisfied applicants were with the service, one
answer per dossier, kept with the procedure so that staff can count them per procedure."""
