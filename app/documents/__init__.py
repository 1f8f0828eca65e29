"""Documents the portal produces: the declaration an applicant signs."""
