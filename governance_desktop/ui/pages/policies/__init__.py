"""The policy register page: the table, the editor and the details pane."""
