"""The station file tests live in tests/geo/io/test_stations.py; these names stay importable
for tests that build station files with them."""

from tests.geo.io.test_stations import CHINESE_HEADERS, CHINESE_ROWS, write_csv, write_xlsx

__all__ = ["CHINESE_HEADERS", "CHINESE_ROWS", "write_csv", "write_xlsx"]
