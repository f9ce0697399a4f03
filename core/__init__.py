"""What the service, the locustfiles and the harness share, and nothing else: the matrix's
models, the variants, the convergence interval, and the names of metrics and endpoints.

It imports none of the three packages, so each of them can ship without the others.
"""
