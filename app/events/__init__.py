"""Status events from the back offices: checked, applied in order to the dossiers' history
(app/events/services.py), kept once (app/events/models.py)."""
