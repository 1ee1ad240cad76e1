"""The workflows page: list, editor (trigger, conditions, actions), diagram and dry run."""
