"""``python -m tools.trace TASK_ID``: a task's span tree, from devhost's local span file."""
