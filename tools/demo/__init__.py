"""The demo: the main job end to end on devhost (``make demo``), and the scenario the
end-to-end tests share with it."""
