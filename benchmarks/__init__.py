"""Speed and scale benchmarks against the peers, run by hand: ``python -m benchmarks nearest``.

Each prints its figures and the ratio against the peer (osmnx/networkx, spopt) measured in the
same run. They are not part of the test suite.
"""
