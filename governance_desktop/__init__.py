"""Governance Desktop: policy register, workflows and approvals for compliance officers."""

__version__ = "0.1.0"
