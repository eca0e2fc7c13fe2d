"""Pure checks (no Pulumi import): tested with tables and hypothesis."""
