"""What runs inside Locust for every swarm, the demo's and a user's own locustfile alike: the
harness's options and steady phase (warm-up discarded, convergence), the step ramp of a sweep
and the target guard (load goes to loopback only). Shipped in the package, so a locustfile
outside a clone gets them too.

It may import `asyncgap.core`; the harness never imports it (Locust patches the standard
library), but names its files on Locust's command line.
"""
