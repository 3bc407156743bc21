"""One set of colours, icons and short labels for every surface: maps, charts, the web pages.

The web app hands these to the pages (and its CSS custom properties are written from them), the
folium maps and the PNG charts read them here, so a kind or a group has one colour everywhere. A
deployment's own kinds (:mod:`geo.catalogue`) are added to these tables in place.
"""

from __future__ import annotations

#: Marker colour of each station kind (CSS hex).
KIND_COLOURS: dict[str, str] = {"driver_home": "#6d28d9", "sanitation_station": "#0f766e",
                                "outdoor_rest_point": "#ea580c"}

#: Short kind labels for chips, legends and generated names: id -> (中文, English).
KIND_SHORT: dict[str, tuple[str, str]] = {
    "driver_home": ("司机之家", "Driver homes"),
    "sanitation_station": ("环卫驿站", "Sanitation"),
    "outdoor_rest_point": ("户外驿站", "Rest points"),
}

#: The icon of each station kind: a name of :data:`ICON_NAMES` (the pages draw each from
#: constant markup of their own, ``app/static/js/common.js``).
KIND_ICONS: dict[str, str] = {"driver_home": "driver_home",
                              "sanitation_station": "sanitation_station",
                              "outdoor_rest_point": "outdoor_rest_point"}

#: The icons a kind may have: the built-in kinds' own and a few more for a deployment's kinds
#: (:mod:`geo.catalogue`).
ICON_NAMES: tuple[str, ...] = ("driver_home", "sanitation_station", "outdoor_rest_point",
                               "child", "heart", "oxygen", "home", "cup", "pin")

#: Line and area colour of each worker group (CSS hex).
GROUP_COLOURS: dict[str, str] = {"delivery_rider": "#ef6c00", "sanitation_worker": "#2e7d32",
                                 "truck_driver": "#1565c0", "ride_hailing_driver": "#6a1b9a"}

#: Colour of a proposed new site on maps.
NEW_SITE_COLOUR = "#d81b60"
