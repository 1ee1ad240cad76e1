"""The approvals page: the approver's inbox."""
