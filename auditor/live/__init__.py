"""Live collection from Azure (the only package that imports the Azure SDK) and the local ARM
endpoint that stands in for Azure in tests and demos."""
