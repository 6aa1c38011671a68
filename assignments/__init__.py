"""Your exercise modules: fill in each function, then run `dltips check`."""
