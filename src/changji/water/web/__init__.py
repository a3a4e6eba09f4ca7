"""Operator pages of the water app (一屏看水、一图懂水、一网治水), one module per page."""
