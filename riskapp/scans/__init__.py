"""Domain scans of vendors: run as background jobs, stored per scan, compared over time."""
