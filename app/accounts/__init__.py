"""Applicant accounts: who comes back. Sign-in with the national identity (OpenID Connect) or a
local account; the profile that fills the applicant section; sessions held on the server.

Anonymous use stays: a dossier started without an account is reached with its secret (kiosks
rely on it) and may later be claimed into an account with that secret."""
