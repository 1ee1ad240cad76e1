"""Pure rules of the product: enums, lifecycle, workflow definitions, conditions. No I/O."""
