"""sipas: measure how well public administration serves people (SIPAS, PAR INDEX)."""

__version__ = "0.1.0"
