"""What leaves the portal for the back office: the dossier manifest, sealed by the portal."""
