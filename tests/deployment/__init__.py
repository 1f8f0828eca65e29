"""A real deployment: sessions and rate limits shared through Redis, gunicorn, several nodes."""
