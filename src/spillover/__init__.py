"""spillover: arms transfers between states and their spillover into regional escalation."""

__version__ = "0.1.0"
