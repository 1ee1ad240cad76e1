"""The user admin page."""
