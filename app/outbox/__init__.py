"""The outbox: what must leave the portal, written in the same transaction as the state change
that caused it (app/outbox/queue.py). The delivery worker (app/delivery/) sends it."""
