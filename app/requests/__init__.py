"""The request form: validation, live suggestions, visits and deflection, no-JS staging, ``kb stats``."""
