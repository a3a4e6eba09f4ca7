"""Simulation: the demo fleet, field terminals over real TCP, and the closed-loop load generator."""
