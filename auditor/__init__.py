"""azure-route-auditor: audit how an Azure hybrid network routes."""

__version__ = "0.1.0"
