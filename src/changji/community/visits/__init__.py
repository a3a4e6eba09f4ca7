"""Visits (走访), care households (关爱户) and residents' meetings (凉亭会、恳谈会): the rules and the services."""
