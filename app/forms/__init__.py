"""Forms: WTForms classes built from a procedure's definition, and its answers as people read them."""
