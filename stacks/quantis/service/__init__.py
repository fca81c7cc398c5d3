"""The Quantis demo service (FastAPI + numpy forecaster + ModelMonitor); see app.py.

Not imported by the stack definition: ``obscode generate`` never loads numpy.
"""
