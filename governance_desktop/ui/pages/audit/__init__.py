"""The audit page: the lazy audit-trail table and the verify and export buttons."""
