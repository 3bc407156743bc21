"""Analysis results as files people open: GeoPackage, CSV/XLSX, PNG charts, offline HTML maps.

- :mod:`geo.output.coverage`: a coverage analysis written to a folder;
- :mod:`geo.output.plan`: a siting plan's proposal files, curve and map;
- :mod:`geo.output.province`: the province summary of a batch (tables, chart, overview map);
- :mod:`geo.output.maps`: offline folium maps (Leaflet from xstatic, never a CDN);
- :mod:`geo.output.charts`: what the PNG charts share (a CJK font, bilingual labels);
- :mod:`geo.output.geojson`: JSON documents the web app serves (stations, coverage cells).
"""
