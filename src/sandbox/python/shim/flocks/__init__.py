"""
A small stand-in for the parts of the Flocks platform that shipped workflows import, so they run
unchanged under flockflow (SPEC §4). Each shimmed name is listed in docs/python-nodes.md.
"""
