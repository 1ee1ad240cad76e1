"""Electronic signatures in the window: the sign dialog, the signing session, Switch user."""
