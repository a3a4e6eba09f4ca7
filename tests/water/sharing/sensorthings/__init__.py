"""Tests of the SensorThings API (OGC 18-088), by conformance class."""
