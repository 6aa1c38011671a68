"""Sample submissions (a catalogue of realistic student mistakes) for demos and tests."""

from autograder.course.samples.catalog import SAMPLES, Sample, expected_passing, materialize

__all__ = ["SAMPLES", "Sample", "expected_passing", "materialize"]
