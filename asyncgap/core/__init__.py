"""What the service, the locustfiles and the harness share: the matrix's models, the variants,
the stations, the convergence interval, the names of metrics and endpoints, and the typed
records of a run (summary.json) with the one way to write them.

It imports nothing else of asyncgap, so the demo service and the locustfiles can use it alone.
"""
