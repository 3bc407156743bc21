"""Reading and writing the tables people bring: station lists, worker counts, candidate sites."""
