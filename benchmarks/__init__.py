"""`make bench`: the real bot process against the offline world, with network shaping, under load.

See benchmarks/README.md for how to run it and how to read what it prints.
"""
