"""Trusted grading data: named input cases and the cached Keras/scikit-learn outputs."""
