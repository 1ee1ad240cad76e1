"""Helpers shared by the test suites: import them as `from tests.helpers.<module> import <name>`."""
