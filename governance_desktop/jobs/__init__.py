"""Background work on Huey: queue, tasks, processor, consumer, job tracking (engine issue)."""
