"""The PySide6 window: pages, Qt models, dialogs, the job-event bridge (GUI issue)."""
