"""井电双控: groundwater abstraction supervision over the national terminal protocols."""
