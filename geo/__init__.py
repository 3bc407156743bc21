"""yizhan's library: outdoor workers' rest stations, coordinates, registry, network analysis.

Everything here is plain Python with no web framework; the ``app`` package and the notebooks use it.
Internally all coordinates are WGS-84 (EPSG:4326) longitude/latitude in degrees.
"""

__version__ = "0.1.0"
