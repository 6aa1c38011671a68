"""Course delivery: what carries the unit to students (teaching notebooks and their runtime)."""
