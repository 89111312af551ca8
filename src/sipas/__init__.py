"""sipas."""
