"""The Executions page: every workflow run, what it waits for, and cancel/skip from there."""
