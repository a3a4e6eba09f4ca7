"""The well registry: audited registry changes, XLSX import, and maintenance work orders."""
