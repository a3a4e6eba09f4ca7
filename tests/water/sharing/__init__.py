"""Tests of four-level sharing."""
