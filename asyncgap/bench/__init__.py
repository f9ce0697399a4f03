"""`asyncgap bench`: the pack measures itself, one module per measurement.

A command: it may import every room of asyncgap.
"""
