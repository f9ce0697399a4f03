"""The step ramp (asyncgap.load.shapes), for the web UI's class picker beside the scenarios:
locust -f locustfiles/sleep_mix.py,locustfiles/shapes.py"""

from asyncgap.load.shapes import StepRamp

__all__ = ["StepRamp"]
