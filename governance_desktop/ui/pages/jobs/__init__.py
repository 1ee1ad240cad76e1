"""The job monitor page: the lazy job table, its status bar, chart and details."""
