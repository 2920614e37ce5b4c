"""Reliability tests: concurrency, crashes, outages, hostile input, isolation, limits and secrets."""
