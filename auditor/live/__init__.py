"""Live collection from Azure (the only package that imports the Azure SDK) and the local ARM
endpoint that stands in for Azure in tests and demos."""

# The bound on one answer's body, decompressed (`--max-response-bytes`): here, so that the CLI can
# show it without importing the SDK. ARM's list pages are far smaller.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
