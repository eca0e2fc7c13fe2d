"""Fleets: one gateway stack and any number of site stacks consuming it (``StackReference``),
run together through the Automation API with bounded parallelism."""
