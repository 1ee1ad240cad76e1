"""One page per module; each page is a QWidget built as ``Page(ui: UiContext)``.

PAGES is the navigation order: (objectName, title, "module:Class", shortcut).
"""

PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("policiesPage", "Policies", "governance_desktop.ui.pages.policies:PoliciesPage", "Ctrl+1"),
    ("workflowsPage", "Workflows", "governance_desktop.ui.pages.workflows:WorkflowsPage", "Ctrl+2"),
    ("approvalsPage", "Approvals", "governance_desktop.ui.pages.approvals:ApprovalsPage", "Ctrl+3"),
    ("tasksPage", "Tasks", "governance_desktop.ui.pages.tasks:TasksPage", "Ctrl+4"),
    ("jobMonitorPage", "Job monitor", "governance_desktop.ui.pages.jobs:JobMonitorPage", "Ctrl+5"),
    ("auditPage", "Audit", "governance_desktop.ui.pages.audit:AuditPage", "Ctrl+6"),
)
