"""The tasks page: open and done tasks."""
