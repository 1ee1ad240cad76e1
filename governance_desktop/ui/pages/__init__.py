"""One page per module; each page is a QWidget built as ``Page(ui: UiContext)``.

PAGES is the navigation order: (objectName, title, "module:Class", shortcut).
"""

PAGES: tuple[tuple[str, str, str, str], ...] = (
    (
        "policiesPage",
        "Policies",
        "governance_desktop.ui.pages.policies.page:PoliciesPage",
        "Ctrl+1",
    ),
    (
        "workflowsPage",
        "Workflows",
        "governance_desktop.ui.pages.workflows.page:WorkflowsPage",
        "Ctrl+2",
    ),
    (
        "approvalsPage",
        "Approvals",
        "governance_desktop.ui.pages.approvals.page:ApprovalsPage",
        "Ctrl+3",
    ),
    ("tasksPage", "Tasks", "governance_desktop.ui.pages.tasks.page:TasksPage", "Ctrl+4"),
    (
        "jobMonitorPage",
        "Job monitor",
        "governance_desktop.ui.pages.jobs.page:JobMonitorPage",
        "Ctrl+5",
    ),
    ("auditPage", "Audit", "governance_desktop.ui.pages.audit.page:AuditPage", "Ctrl+6"),
)
