"""One module per policy; each defines POLICY."""
