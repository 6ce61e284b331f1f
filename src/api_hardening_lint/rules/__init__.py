"""Detection rules, one module per rule."""
