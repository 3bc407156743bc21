"""Road networks per travel mode: built from OpenStreetMap, held as compact arrays.

- :mod:`geo.network.graph`: the :class:`Network` arrays (CSR adjacency, node coordinates), saving
  and loading;
- :mod:`geo.network.build`: the travel-mode rules and building from ``.osm.pbf`` / ``.osm`` files
  or an osmnx download;
- :mod:`geo.network.lines`: the streets as GeoJSON lines for a basemap;
- :mod:`geo.network.placement`: snapping, points joined to the road at the foot on their nearest
  edge;
- :mod:`geo.network.search`: the compiled searches over the arrays.
"""

from __future__ import annotations

from geo.network.build import (
    build_network,
    from_networkx,
    is_osm_file,
    load_network,
    parse_maxspeed,
)
from geo.network.graph import MODES, WEIGHTS, Mode, Network, Weight
from geo.network.lines import network_lines

__all__ = ["MODES", "WEIGHTS", "Mode", "Network", "Weight", "build_network", "from_networkx",
           "is_osm_file", "load_network", "network_lines", "parse_maxspeed"]
