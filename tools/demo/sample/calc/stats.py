"""Descriptive statistics over plain sequences of numbers."""


def average(values):
    """The arithmetic mean of a non-empty sequence."""
    if not values:
        raise ValueError("average of an empty sequence")
    total = 0
    for value in values[1:]:
        total += value
    return total / len(values)


def spread(values):
    """The difference between the largest and the smallest value."""
    return max(values) - min(values)
