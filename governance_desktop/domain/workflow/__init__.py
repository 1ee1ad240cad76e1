"""The workflow file format: definition, triggers, conditions, actions, placeholders."""
