"""Micro-wishes (微心愿): the pure state table (``workflow``) and the service that moves wishes (``service``)."""
