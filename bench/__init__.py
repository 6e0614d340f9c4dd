"""`make bench`: throughput and latency of the real stack, measured, never asserted."""
